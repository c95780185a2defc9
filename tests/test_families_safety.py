"""Issue 10: a family's safety reports never overwrite each other. The household's status is the
most serious one reported (救助が必要 > けが人あり > 避難しました > 無事): a later milder report from
another member does not lower it; a member may lower their own (a correction). Every report, with
its 連絡事項 and location, stays on the safety page with the reporter's own name; the confirmation
names the reporter."""
from sqlalchemy import select

from bot.outbox import drain
from handlers.messages import texts
from models import Member, MemberStatus

from chat import all_text, button
from conftest import user_id
from safety_kit import BOSAI, ITO, SATO, check_of, clock, report, start  # noqa: F401 (clock: a fixture)

SON = user_id("sato-son")


def add_son(db):
    with db.session() as s:
        sato = s.scalar(select(Member).where(Member.line_user_id == SATO))
        s.add(Member(association_id=sato.association_id, line_user_id=SON, household_id=sato.household_id,
                     block_id=sato.block_id, name="佐藤 一", status=MemberStatus.active))


def signed_in(line, who):
    link = button(line.text(who, "管理画面"), texts.ADMIN_OPEN)["uri"].replace("https://kairan.example.jp", "")
    client = line.client.application.test_client()
    assert client.post(link, headers={"Origin": "https://kairan.example.jp"}).status_code in (302, 303)
    return client


def test_a_milder_report_of_another_member_does_not_lower_the_household(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    add_son(db)
    card = check_of(fake, SATO)
    line.location(SATO, 35.6812, 139.7671, "東町1-2 公民館")
    first = line.tap(SATO, [card], "避難しました")
    assert texts.EV_ANSWERED_BY.format(who="佐藤 花子さん") in all_text(first)
    line.text(SATO, "公民館にいます")
    second = line.tap(SON, [card], "けが人あり")  # more serious: the household's status now
    assert texts.EV_ANSWERED_BY.format(who="佐藤 一さん") in all_text(second)  # his own name
    assert "佐藤 花子さん" not in all_text(second)
    assert report(db, "佐藤 花子").answer == "injured"
    line.text(SON, "父が足を痛めています")
    # the mother's later 無事 does not lower it: she is told what stands, and by whom
    third = line.tap(SATO, [card], "無事")
    assert texts.SAFETY_HOUSEHOLD_KEPT.format(status="けが人あり", who="佐藤 一さん") in all_text(third)
    r = report(db, "佐藤 花子")
    assert r.answer == "injured" and r.answered_by.name == "佐藤 一"
    assert [h.answer for h in r.history] == ["evacuated", "injured", "safe"]
    # the page: every report with its reporter, both notes with their authors, the location
    page = signed_in(line, BOSAI).get("/admin/safety/").get_data(as_text=True)
    for line_ in ("佐藤 花子さん：避難しました", "佐藤 一さん：けが人あり", "佐藤 花子さん：無事",
                  texts.SAFETY_HISTORY_NOTE.format(who="佐藤 花子さん", note="公民館にいます"),
                  texts.SAFETY_HISTORY_NOTE.format(who="佐藤 一さん", note="父が足を痛めています"),
                  "東町1-2 公民館"):
        assert line_ in page, line_
    assert texts.SAFETY_HISTORY_TITLE.format(n=6) in page  # 3 reports, 2 notes, 1 location


def test_a_member_may_lower_their_own_report(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    card = check_of(fake, ITO)
    chat.tap(ITO, [card], "けが人あり")
    reply = chat.tap(ITO, [card], "無事")  # a correction of her own report
    assert "「無事」で記録しました" in all_text(reply) and "のままです" not in all_text(reply)
    assert report(db, "伊藤 美咲").answer == "safe"


def test_the_most_serious_of_each_members_latest_report_stands(chat, demo, db, fake, k, clock):
    start(chat)
    drain(db, k.line)
    add_son(db)
    card = check_of(fake, SATO)
    chat.tap(SON, [card], "救助が必要")
    chat.tap(SATO, [card], "避難しました")
    assert report(db, "佐藤 花子").answer == "rescue"
    chat.tap(SON, [card], "避難しました")  # he corrects his own: the household follows
    assert report(db, "佐藤 花子").answer == "evacuated"
