"""The circular archive (/admin/archive) and one circular's page: category, search over title and
body (LIKE wildcards taken literally), filter by category, paging beyond 50, a block leader's 班
only, attachments behind the sign-in; and 訂正 of a circular from the dashboard (form → cost →
notice to exactly the households that got it, the original kept in the history)."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import AuditLog, Attachment, Circular, Correction, Member, MemberStatus, OutboxMessage

from admin_kit import csrf_token, send_circular, sign_in
from archive_kit import add_sent_circular, outbox_rows, spec_valid, titles, words
from chat import actions, all_text

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")  # 会長, 1班
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
SATO = demo_user_id("佐藤 花子")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=True) as t:
        yield t


@pytest.fixture
def client(app):
    return app.test_client()


def aid_of(db, user: str = CHAIR) -> int:
    with db.session() as s:
        return s.scalar(select(Member.association_id).where(Member.line_user_id == user))


def line_users(db, aid: int) -> set[str]:
    with db.session() as s:
        return set(s.scalars(select(Member.line_user_id).where(
            Member.association_id == aid, Member.status == MemberStatus.active, Member.line_user_id.is_not(None))))


def counts(db) -> tuple[int, int, int]:
    with db.session() as s:
        return (s.scalar(select(func.count()).select_from(Correction)),
                s.scalar(select(func.count()).select_from(OutboxMessage)),
                s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action.like("%.correct"))))


# --- the list ------------------------------------------------------------------------------------
def test_search_over_title_and_body_with_wildcards_taken_literally(client, line, demo, db):
    send_circular(line, title="秋祭りのご案内", body="11月3日に神社で秋祭りをします。")
    send_circular(line, title="ごみ出しの変更", body="燃えるごみは100%分別してください。")
    send_circular(line, title="班長会", body="100円の会費を集めます。")
    sign_in(client, line)
    assert titles(client.get("/admin/archive").get_data(as_text=True)) == ["班長会", "ごみ出しの変更", "秋祭りのご案内"]
    assert titles(client.get("/admin/archive?q=秋祭り").get_data(as_text=True)) == ["秋祭りのご案内"]
    assert titles(client.get("/admin/archive?q=神社").get_data(as_text=True)) == ["秋祭りのご案内"]  # the body
    # % and _ are letters here, not LIKE wildcards
    assert titles(client.get("/admin/archive?q=100%25").get_data(as_text=True)) == ["ごみ出しの変更"]
    assert titles(client.get("/admin/archive?q=_").get_data(as_text=True)) == []
    page = client.get("/admin/archive?q=見つからない言葉").get_data(as_text=True)
    assert titles(page) == [] and texts.ARCHIVE_NONE_FOUND in page
    # two words: both must be there
    assert titles(client.get("/admin/archive?q=ごみ 分別").get_data(as_text=True)) == ["ごみ出しの変更"]


def test_category_chosen_in_chat_shown_and_filtered(client, line, demo, db):
    preview = line.text(CHAIR, "回覧 ごみ出しの変更\n燃えるごみは火曜と金曜です。")
    assert texts.PREVIEW_CATEGORY.format(category="その他") in all_text(preview)  # the default
    fields = line.tap(CHAIR, preview, texts.EDIT)
    question = line.tap(CHAIR, fields, texts.FIELD_CATEGORY)
    labels = [a["label"] for a in actions(question)]
    assert labels[:6] == list(texts.CIRCULAR_CATEGORIES.values())
    preview = line.tap(CHAIR, question, "ごみ")
    assert texts.PREVIEW_CATEGORY.format(category="ごみ") in all_text(preview)
    line.tap(CHAIR, preview, texts.SEND)
    send_circular(line, title="敬老会", body="9月15日に敬老会をします。")  # その他
    with db.session() as s:
        assert {t: cat for t, cat in s.execute(select(Circular.title, Circular.category))} == {"ごみ出しの変更": "garbage", "敬老会": "other"}
    sign_in(client, line)
    page = client.get("/admin/archive").get_data(as_text=True)
    assert '<span class="tag category">ごみ</span>' in page and '<span class="tag category">その他</span>' in page
    assert titles(client.get("/admin/archive?cat=garbage").get_data(as_text=True)) == ["ごみ出しの変更"]
    assert titles(client.get("/admin/archive?cat=other").get_data(as_text=True)) == ["敬老会"]
    assert titles(client.get("/admin/archive?cat=nonsense").get_data(as_text=True)) == ["敬老会", "ごみ出しの変更"]
    assert "分類：<span class=\"tag category\">ごみ</span>" in client.get(
        f"/admin/circulars/{_id(db, 'ごみ出しの変更')}").get_data(as_text=True)


def _id(db, title: str) -> int:
    with db.session() as s:
        return s.scalar(select(Circular.id).where(Circular.title == title))


def test_paging_beyond_fifty_newest_first(client, line, demo, db):
    aid = aid_of(db)
    start = NOW.astimezone(dt.timezone.utc) - dt.timedelta(days=60)
    for n in range(55):
        add_sent_circular(db, aid, f"回覧{n:02d}", at=start + dt.timedelta(days=n))
    sign_in(client, line)
    first = client.get("/admin/archive").get_data(as_text=True)
    assert titles(first) == [f"回覧{n:02d}" for n in range(54, 4, -1)]
    assert texts.ARCHIVE_PAGE.format(first=1, last=50, total=55) in first and "p=2" in first
    second = client.get("/admin/archive?p=2").get_data(as_text=True)
    assert titles(second) == ["回覧04", "回覧03", "回覧02", "回覧01", "回覧00"]
    assert texts.ARCHIVE_PAGE.format(first=51, last=55, total=55) in second and texts.ARCHIVE_OLDER not in second
    assert titles(client.get("/admin/archive?p=abc").get_data(as_text=True))[0] == "回覧54"  # nonsense: page 1
    filtered = client.get("/admin/archive?q=回覧0").get_data(as_text=True)
    assert titles(filtered) == [f"回覧0{n}" for n in range(9, -1, -1)] and "p=2" not in filtered


def test_a_block_leader_sees_circulars_of_their_own_block_only(client, line, demo, db):
    aid = aid_of(db)
    everyone = add_sent_circular(db, aid, "全体のお知らせ", body="共通の言葉")
    first_only = add_sent_circular(db, aid, "1班だけのお知らせ", body="共通の言葉", block_names=("1班",))
    sign_in(client, line, LEADER2)
    page = client.get("/admin/archive").get_data(as_text=True)
    assert titles(page) == ["全体のお知らせ"]
    assert titles(client.get("/admin/archive?q=共通").get_data(as_text=True)) == ["全体のお知らせ"]
    assert client.get(f"/admin/circulars/{first_only}").status_code == 404
    assert client.get(f"/admin/circulars/{first_only}/correct").status_code == 404
    # their own 班's view of the one they got: 2班's households only
    own = client.get(f"/admin/circulars/{everyone}").get_data(as_text=True)
    assert "田中 実 様" in own and "山田 太郎 様" not in own and "小林 修 様" not in own


def test_the_circular_page_shows_full_text_attachments_and_unread(client, line, demo, db):
    aid = aid_of(db)
    long_body = "あ" * 300 + "\nおしまいの行です。"
    cid = add_sent_circular(db, aid, "長いお知らせ", body=long_body)
    with db.session() as s:
        s.add(Attachment(association_id=aid, circular_id=cid, kind="file", filename="地図.pdf",
                         content_type="application/pdf", data=b"%PDF-1.4 map"))
    sign_in(client, line)
    page = client.get(f"/admin/circulars/{cid}").get_data(as_text=True)
    assert "おしまいの行です。" in page and "地図.pdf" in page and "既読 0/12世帯（0%）" in page
    assert "高橋 和子 様" in page  # unread
    href = re.search(r'href="(/admin/circulars/\d+/a/\d+)"', page).group(1)
    got = client.get(href)
    assert got.status_code == 200 and got.data == b"%PDF-1.4 map" and got.mimetype == "application/pdf"
    # another circular's id with this attachment: no
    other = add_sent_circular(db, aid, "別の回覧")
    assert client.get(href.replace(f"/circulars/{cid}/", f"/circulars/{other}/")).status_code == 404
    # signed out: the sign-in page, not the file
    fresh = client.application.test_client()
    assert fresh.get(href).data != b"%PDF-1.4 map"


# --- 訂正 from the dashboard -----------------------------------------------------------------
def test_a_correction_states_the_cost_then_queues_exactly_the_notice(client, line, demo, db):
    cid = send_circular(line, title="清掃のお知らせ", body="11月30日9時から公園の清掃をします。")
    aid = aid_of(db)
    sign_in(client, line)
    form = client.get(f"/admin/circulars/{cid}/correct").get_data(as_text=True)
    assert "11月30日9時から公園の清掃をします。" in form  # prefilled
    before = counts(db)
    data = {"csrf_token": csrf_token(form), "title": "清掃のお知らせ", "body": "11月30日10時から公園の清掃をします。",
            "note": "開始は9時ではなく10時です。"}
    confirm = client.post(f"/admin/circulars/{cid}/correct", data=data).get_data(as_text=True)
    shown = words(confirm)
    assert "LINEで9通" in shown and "紙の3世帯" in shown and texts.FIX_SEND in shown
    assert counts(db) == before  # the cost page writes nothing
    done = client.post(f"/admin/circulars/{cid}/correct", data={**data, "confirm": "1", "csrf_token": csrf_token(confirm)})
    assert done.status_code == 303
    rows = spec_valid(outbox_rows(db, f"correction:circular:{cid}"))
    notice = [r for r in rows if r.purpose == f"correction:circular:{cid}"]
    assert len(notice) == 1 and set(notice[0].recipients) == line_users(db, aid) and len(notice[0].recipients) == 9
    assert notice[0].kind == "multicast"
    text = notice[0].messages[0]["text"]
    assert text.startswith("【訂正】回覧「清掃のお知らせ」\n開始は9時ではなく10時です。")
    assert len(notice[0].messages) == 1
    # paper households: 2班's 渡辺 to its block leader 田中; 1班 (高橋) and 3班 (吉田) have none: to the officer
    paper = {r.purpose.rsplit(":", 1)[1]: r for r in rows if ":paper:" in r.purpose}
    texts_by_block = {r.messages[0]["text"].split("（")[1].split("）")[0]: (r.recipients, r.messages[0]["text"])
                      for r in paper.values()}
    assert texts_by_block["2班"][0] == [LEADER2] and "渡辺 健" in texts_by_block["2班"][1]
    assert texts_by_block["1班"][0] == [CHAIR] and "高橋 和子" in texts_by_block["1班"][1]
    assert texts_by_block["3班"][0] == [CHAIR] and "吉田 勇" in texts_by_block["3班"][1]
    with db.session() as s:
        c = s.get(Circular, cid)
        assert c.body == "11月30日10時から公園の清掃をします。"
        fix = s.scalar(select(Correction))
        assert fix.before_body == "11月30日9時から公園の清掃をします。" and fix.after_body == c.body
        assert fix.pushes == 9 + 3 and fix.paper_households == 3
        entry = s.scalar(select(AuditLog).where(AuditLog.action == "circular.correct"))
        assert entry.target == f"circular:{cid}" and entry.detail["pushes"] == 12
    page = client.get(f"/admin/circulars/{cid}?saved=1").get_data(as_text=True)
    assert "11月30日10時から公園の清掃をします。" in page  # the corrected text
    history = page.split(texts.FIX_HISTORY, 1)[1]
    assert "11月30日9時から公園の清掃をします。" in history and "開始は9時ではなく10時です。" in history
    assert texts.ARCHIVE_CORRECTED in client.get("/admin/archive").get_data(as_text=True)


def test_a_correction_without_or_with_a_wrong_csrf_token_changes_nothing(client, line, demo, db):
    cid = send_circular(line)
    sign_in(client, line)
    before = counts(db)
    data = {"title": "x", "body": "新しい本文", "note": "訂正です", "confirm": "1"}
    assert client.post(f"/admin/circulars/{cid}/correct", data=data).status_code == 400
    assert client.post(f"/admin/circulars/{cid}/correct", data={**data, "csrf_token": "forged"}).status_code == 400
    assert counts(db) == before
    with db.session() as s:
        assert s.get(Circular, cid).body == "11月30日に公園の清掃をします。"


def test_only_the_author_or_the_board_may_correct(client, line, demo, db):
    cid = send_circular(line)  # by the chair, to everyone (2班 too)
    sign_in(client, line, LEADER2)
    assert client.get(f"/admin/circulars/{cid}").status_code == 200
    page = client.get(f"/admin/circulars/{cid}/correct")
    assert page.status_code == 403 and texts.FIX_NOT_YOURS in page.get_data(as_text=True)
    # in the chat: no [訂正：…] on their 状況, and a forged tap is refused
    assert not [a for a in actions(line.text(LEADER2, "状況")) if a.get("data", "").startswith("a=fix")]
    before = counts(db)
    assert texts.FIX_NOT_YOURS in all_text(line.postback(LEADER2, f"a=fix&k=c&i={cid}&x=correct"))
    assert counts(db) == before


def test_forged_ids_of_another_association_answer_404_and_change_nothing(client, line, demo, db):
    from registry_kit import city_of_two

    _, _, other = city_of_two(db)
    theirs = add_sent_circular(db, other, "西町の回覧", body="西町の本文")
    with db.session() as s:
        s.add(Attachment(association_id=other, circular_id=theirs, kind="image", filename="a.png",
                         content_type="image/png", data=b"png"))
        att = s.scalar(select(Attachment.id).where(Attachment.circular_id == theirs))
    sign_in(client, line)
    page = client.get("/admin/archive").get_data(as_text=True)
    for url in (f"/admin/circulars/{theirs}", f"/admin/circulars/{theirs}/correct",
                f"/admin/circulars/{theirs}/a/{att}"):
        assert client.get(url).status_code == 404, url
    before = counts(db)
    resp = client.post(f"/admin/circulars/{theirs}/correct", data={
        "csrf_token": csrf_token(page), "title": "x", "body": "乗っ取り", "note": "訂正", "confirm": "1"})
    assert resp.status_code == 404 and counts(db) == before
    with db.session() as s:
        assert s.get(Circular, theirs).body == "西町の本文"
    assert "西町の回覧" not in client.get("/admin/archive?q=西町").get_data(as_text=True)


def test_a_notice_to_more_than_500_goes_in_multicasts_of_at_most_500(client, line, demo, db):
    from models import Block, Household, Role
    from models.roster import PRIVACY_POLICY_VERSION, new_join_code

    aid = aid_of(db)
    with db.session() as s:
        block = s.scalar(select(Block).where(Block.association_id == aid, Block.name == "3班"))
        for n in range(600):
            h = Household(association_id=aid, block_id=block.id, name=f"住民 {n}", join_code=new_join_code(s))
            s.add(h)
            s.flush()
            s.add(Member(association_id=aid, line_user_id=f"U{n:032x}", household_id=h.id, block_id=block.id,
                         name=f"住民 {n}", role=Role.member, status=MemberStatus.active, consent_at=NOW,
                         consent_policy_version=PRIVACY_POLICY_VERSION))
    cid = add_sent_circular(db, aid, "大きな回覧")
    sign_in(client, line)
    page = client.get(f"/admin/circulars/{cid}/correct").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "title": "大きな回覧", "body": "直した本文", "note": "本文を直しました。", "confirm": "1"}
    assert client.post(f"/admin/circulars/{cid}/correct", data=data).status_code == 303
    rows = [r for r in spec_valid(outbox_rows(db, f"correction:circular:{cid}")) if r.purpose == f"correction:circular:{cid}"]
    assert [len(r.recipients) for r in rows] == [500, 109]
    assert set().union(*(r.recipients for r in rows)) == line_users(db, aid)
