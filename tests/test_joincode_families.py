"""Issue 10: a second family member says their own name, officers see who joined (the LINE display
name too), reissue a household's code from the notice, and learn each other's decisions; 「承認待ち」
lists what waits; a 退会 is told to the 班長. All through the webhook, with the fake LINE."""
import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Household, MemberStatus

from chat import all_text, button, labels
from conftest import member, user_id

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc)
CHAIR = demo_user_id("山田 太郎")
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
ITO = demo_user_id("伊藤 美咲")  # 2班, on LINE


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def consent_and_block(line, uid, block="2班"):
    card = line.follow(uid)
    return line.tap(uid, line.tap(uid, card, texts.AGREE), block)


def code_of(db, name):
    with db.session() as s:
        return s.scalar(select(Household.join_code).where(Household.name == name))


def pushed_to(fake, uid):
    """Every message pushed or multicast to this user, newest last."""
    out = []
    for r in fake.sends():
        if r.path.endswith("/reply"):
            continue
        to = r.body.get("to")
        if to == uid or (isinstance(to, list) and uid in to):
            out += r.body["messages"]
    return out


def family_member_applies(line, db, fake, k, uid, own="伊藤 大輔"):
    consent_and_block(line, uid)
    asked = line.text(uid, "伊藤 美咲")  # the representative's name: a household already on LINE
    assert "あなたのお名前" in all_text(asked)
    assert member(db, uid).name is None  # never the representative's name
    done = line.text(uid, own)
    assert texts.PENDING in all_text(done)
    drain(db, k.line)


def test_second_member_by_name_gives_own_name_and_the_request_shows_the_display_name(line, demo, db, fake, k, clock):
    uid = user_id("ito-son")
    fake.profiles[uid] = "だいちゃん"
    family_member_applies(line, db, fake, k, uid)
    m = member(db, uid)
    assert m.status == MemberStatus.pending and m.name == "伊藤 大輔" and m.household_id is None
    request = all_text(pushed_to(fake, LEADER2))
    assert texts.APPROVAL_REQUEST_FAMILY.format(block="2班", household="伊藤 美咲", name="伊藤 大輔") in request
    assert texts.APPROVAL_DISPLAY_NAME.format(display="だいちゃん") in request
    assert request == all_text(pushed_to(fake, CHAIR))  # the chair got the same request


def test_first_member_by_name_links_at_once_and_the_leader_can_undo(line, demo, db, fake, k, clock):
    uid = user_id("watanabe")
    consent_and_block(line, uid)
    assert "登録が完了しました" in all_text(line.text(uid, "渡辺 健"))
    drain(db, k.line)
    notice = pushed_to(fake, LEADER2)
    assert "「渡辺 健」さん" in all_text(notice) and texts.UNDO_LINK in labels(notice)
    undone = line.tap(LEADER2, notice, texts.UNDO_LINK)
    assert texts.UNLINKED_DONE.format(name="渡辺 健", household="渡辺 健") in all_text(undone)
    drain(db, k.line)
    assert texts.UNLINKED_NOTICE in all_text(pushed_to(fake, uid))
    assert member(db, uid) is None  # the link undone: nothing of them is kept


def test_code_reuse_is_told_with_undo_and_the_code_can_be_reissued(line, demo, db, fake, k, clock):
    old = code_of(db, "伊藤 美咲")
    uid = user_id("ito-daughter")
    fake.profiles[uid] = "ゆい"
    consent_and_block(line, uid)
    asked = line.text(uid, f"登録コード {old}")
    assert "お名前" in all_text(asked)
    assert "登録が完了しました" in all_text(line.text(uid, "伊藤 結衣"))
    drain(db, k.line)
    notice = pushed_to(fake, LEADER2)
    text = all_text(notice)
    assert "「伊藤 結衣」さん" in text and texts.LINKED_BY_CODE in text
    assert texts.LINKED_DISPLAY_NAME.format(display="ゆい") in text
    assert {texts.UNDO_LINK, texts.REISSUE_CODE} <= set(labels(notice))
    assert texts.UNDO_LINK in labels(pushed_to(fake, CHAIR))  # the officers are told too
    # a resident cannot reissue
    assert texts.OFFICERS_ONLY in all_text(line.postback(ITO, button(notice, texts.REISSUE_CODE)["data"]))
    assert code_of(db, "伊藤 美咲") == old
    reissued = line.tap(LEADER2, notice, texts.REISSUE_CODE)
    new = code_of(db, "伊藤 美咲")
    assert new != old and texts.REISSUED_CODE.format(household="伊藤 美咲", code=new) in all_text(reissued)
    # the old code stops working; the new one works
    stranger = user_id("stranger-with-old-sheet")
    consent_and_block(line, stranger)
    assert texts.JOIN_CODE_UNKNOWN in all_text(line.text(stranger, f"登録コード {old}"))
    assert member(db, stranger).household_id is None
    assert "お名前" in all_text(line.text(stranger, f"登録コード {new}"))
    # the undo still works after the reissue
    undone = line.tap(LEADER2, notice, texts.UNDO_LINK)
    assert "取り消しました" in all_text(undone)
    assert member(db, uid) is None  # the link undone: nothing of them is kept


def test_the_roster_household_page_reissues_the_code(client, line, demo, db, fake, k, clock):
    from admin_kit import post_form, sign_in
    old = code_of(db, "伊藤 美咲")
    with db.session() as s:
        hid = s.scalar(select(Household.id).where(Household.name == "伊藤 美咲"))
    sign_in(client, line, LEADER2)
    page = f"/admin/households/{hid}/edit"
    assert 'id="reissue-code"' in client.get(page).get_data(as_text=True)
    # without the page's CSRF token nothing changes
    assert client.post(f"/admin/join-sheets/{hid}/reissue").status_code in (400, 403)
    assert code_of(db, "伊藤 美咲") == old
    resp = post_form(client, page, f"/admin/join-sheets/{hid}/reissue")
    assert resp.status_code == 303
    new = code_of(db, "伊藤 美咲")
    assert new != old
    uid = user_id("old-sheet")
    consent_and_block(line, uid)
    assert texts.JOIN_CODE_UNKNOWN in all_text(line.text(uid, f"登録コード {old}"))
