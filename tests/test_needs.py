"""Needs with a safety answer (issue 14): after the status, 困りごと chips (食料・水, 薬, 移動の手助け,
停電, 連絡がほしい), several allowed, kept on the household's report and shown on the live page and map."""
import json
import re

from bot.outbox import drain
from handlers.messages import texts

from admin_kit import sign_in
from chat import all_text, labels
from drills_kit import start_drill
from safety_kit import CHAIR, ITO, SATO, check_of, clock, report, start  # noqa: F401


def test_needs_are_chips_after_the_status_several_allowed(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    reply = line.tap(SATO, [check_of(fake, SATO)], "無事")
    assert texts.SAFETY_NEEDS_ASK in all_text(reply)
    chips = reply[-1]["quickReply"]["items"]
    assert len(chips) <= 13 and set(texts.SAFETY_NEEDS.values()) <= set(labels(reply))
    got = line.tap(SATO, reply, "薬")
    got = line.tap(SATO, got, "停電")
    got = line.tap(SATO, got, "薬")  # again: no second 薬
    assert texts.SAFETY_NEED_RECORDED.format(needs="薬・停電") in all_text(got)
    r = report(db, "佐藤 花子")
    assert r.answer == "safe" and r.answer_data["needs"] == ["medicine", "power"]
    line.text(SATO, "薬が切れそうです")  # the 連絡事項 still follows
    r = report(db, "佐藤 花子")
    assert r.answer_data["needs"] == ["medicine", "power"] and r.answer_data["comment"] == "薬が切れそうです"


def test_needs_show_on_the_live_page_and_the_map(app, line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    reply = line.tap(ITO, [check_of(fake, ITO)], "避難しました")
    line.tap(ITO, reply, "食料・水")
    line.location(ITO, 35.6830, 139.7702, "東京都千代田区東町2-5")
    client = app.test_client()
    sign_in(client, line, CHAIR)
    page = client.get("/admin/safety/").get_data(as_text=True)
    assert texts.SAFETY_MAP_POPUP_NEEDS.format(needs="食料・水").strip() in page
    section = page.split('id="assign-table"')[1].split("</ul>")[0]
    assert "伊藤 美咲様" in section  # a household with needs waits for someone, answered or not
    markers = json.loads(re.search(r"data-markers='([^']*)'", page).group(1).replace("&#34;", '"')
                         .replace("&#39;", "'").replace("&amp;", "&"))
    (ito,) = [m for m in markers if m["household"] == "伊藤 美咲"]
    assert "食料・水" in ito["popup"]


def test_a_drills_need_reply_is_marked(line, demo, db, fake, k, clock):
    start_drill(line)
    drain(db, k.line)
    reply = line.tap(SATO, [check_of(fake, SATO)], "無事")
    got = line.tap(SATO, reply, "連絡がほしい")
    assert all_text(got).startswith(texts.DRILL_MARK)
    assert report(db, "佐藤 花子").answer_data["needs"] == ["contact"]


def test_a_forged_need_changes_nothing(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    line.tap(SATO, [check_of(fake, SATO)], "無事")
    d = report(db, "佐藤 花子").disaster_id
    line.postback(SATO, f"a=sf_need&d={d}&k=gold")
    assert "needs" not in (report(db, "佐藤 花子").answer_data or {})


def test_whoever_comes_to_help_learns_the_needs(line, demo, db, fake, k, clock):
    """A household that asked for rescue and then picks 薬 and 移動の手助け: the update to the
    chair, 防災担当 and 班長 says so."""
    start(line)
    drain(db, k.line)
    reply = line.tap(ITO, [check_of(fake, ITO)], "救助が必要")
    drain(db, k.line)
    line.tap(ITO, line.tap(ITO, reply, "薬"), "移動の手助け")
    drain(db, k.line)
    to_chair = [m for r in fake.sends() if not r.path.endswith("/reply") and CHAIR in str(r.body.get("to"))
                for m in r.body["messages"]]
    said = all_text(to_chair)
    assert "【救助要請" in said and "困りごと：薬・移動の手助け" in said
