"""Residents register: consent, 班, name matched against the roster, join codes, approval, 退会."""
import re

from sqlalchemy import func, select
from stdnum import damm

from bot.dev import demo as demo_data
from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import AuditLog, Block, DialogState, Household, Member, MemberStatus, Role

from chat import all_text, button
from conftest import member, user_id

CHAIR = demo_user_id("山田 太郎")
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
LEADER_OTHER = demo_user_id("小林 修")  # 防災担当 in 3班 (not an approver)


def consent_and_block(line, uid, block="2班"):
    card = line.follow(uid)
    q = line.tap(uid, card, texts.AGREE)
    return line.tap(uid, q, block)


def test_follow_shows_consent_with_privacy_link_and_stores_nothing(line, demo, db):
    uid = user_id("newcomer")
    card = line.follow(uid)
    text = all_text(card)
    assert "お名前と班だけ" in text and "住所・電話番号はうかがいません" in text
    assert button(card, texts.PRIVACY)["uri"] == f"https://kairan.example.jp/privacy?a={demo_data.SLUG}"  # its own
    assert member(db, uid) is None


def test_privacy_page_is_served(line, demo):
    page = line.client.get("/privacy")
    assert page.status_code == 200
    assert "住所と電話番号はうかがいません" in page.get_data(as_text=True)


def test_refusing_consent_stores_only_the_refusal(chat, demo, db):
    uid = user_id("refuser")
    card = chat.follow(uid)
    reply = chat.tap(uid, card, texts.DISAGREE)
    assert "登録は行いません" in all_text(reply)
    m = member(db, uid)
    assert m.status == MemberStatus.declined and m.declined_at is not None
    assert m.name is None and m.household_id is None and m.consent_at is None and m.block_id is None


def test_match_links_to_roster_household(line, demo, db):
    uid = user_id("watanabe")
    ask_name = consent_and_block(line, uid, "2班")
    assert "お名前" in all_text(ask_name)
    done = line.text(uid, "渡辺　健")  # full-width space: matched anyway
    assert "登録が完了しました" in all_text(done)
    m = member(db, uid)
    assert m.status == MemberStatus.active and m.role == Role.member
    assert m.household.name == "渡辺 健"
    assert m.consent_at is not None and m.consent_policy_version == "2026-11"
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DialogState)) == 0


def test_quick_reply_lists_the_blocks(chat, demo):
    uid = user_id("blocks")
    card = chat.follow(uid)
    q = chat.tap(uid, card, texts.AGREE)
    items = q[-1]["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == ["1班", "2班", "3班"]


def test_no_match_goes_pending_and_asks_block_leader_and_officers(chat, demo, db, fake, k):
    uid = user_id("stranger")
    consent_and_block(chat, uid, "2班")
    reply = chat.text(uid, "青木 次郎")
    assert "確認をお願いしました" in all_text(reply)
    m = member(db, uid)
    assert m.status == MemberStatus.pending and m.role == Role.prospective and m.household_id is None
    drain(db, k.line)
    (push,) = fake.sends("/multicast")
    # chair, officers and the 2班 leader; not the 3班 防災担当
    assert set(push.body["to"]) == {CHAIR, LEADER2}
    assert "青木 次郎" in all_text(push.body["messages"])
    assert push.retry_key  # every push carries its own X-Line-Retry-Key


def pending(line, db, fake, k, name="青木 次郎"):
    uid = user_id(name)
    consent_and_block(line, uid, "2班")
    line.text(uid, name)
    drain(db, k.line)
    card = fake.sends("/multicast")[-1].body["messages"]
    return uid, card


def test_block_leader_approves_into_an_existing_household(chat, demo, db, fake, k):
    uid, card = pending(chat, db, fake, k)
    pick = chat.tap(LEADER2, card, texts.APPROVE)
    labels = [i["action"]["label"] for i in pick[-1]["quickReply"]["items"]]
    assert labels[-1] == texts.NEW_HOUSEHOLD and "伊藤 美咲" in labels
    assert button(pick, "伊藤 美咲")["displayText"] == "伊藤 美咲様の世帯"  # what the leader's tap says in the chat
    done = chat.tap(LEADER2, pick, "伊藤 美咲")
    assert "承認しました" in all_text(done)
    m = member(db, uid)
    assert m.status == MemberStatus.active and m.household.name == "伊藤 美咲"
    drain(db, k.line)
    assert texts.APPROVED_NOTICE in fake.texts_for(uid)
    with db.session() as s:
        assert s.scalar(select(AuditLog).where(AuditLog.action == "member.approve")) is not None
    # the same button again: already handled, nothing changes
    again = chat.tap(LEADER2, pick, texts.NEW_HOUSEHOLD)
    assert texts.ALREADY_HANDLED in all_text(again)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 12


def test_chair_approves_as_new_household(chat, demo, db, fake, k):
    uid, card = pending(chat, db, fake, k)
    pick = chat.tap(CHAIR, card, texts.APPROVE)
    chat.tap(CHAIR, pick, texts.NEW_HOUSEHOLD)
    m = member(db, uid)
    assert m.household.name == "青木 次郎"
    with db.session() as s:
        h = s.get(Household, m.household_id)
        assert s.get(Block, h.block_id).name == "2班"
        # 登録コード: 12 digits in groups of 4, the last a Damm check digit
        assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", h.join_code) and damm.is_valid(h.join_code.replace("-", ""))


def test_reject_deletes_the_applicant(chat, demo, db, fake, k):
    uid, card = pending(chat, db, fake, k)
    asked = chat.tap(CHAIR, card, texts.REJECT)  # asked once more (issue 10), a reason optional
    assert member(db, uid) is not None
    reply = chat.tap(CHAIR, asked, texts.REJECT_NO_REASON)
    assert "却下しました" in all_text(reply)
    assert member(db, uid) is None
    drain(db, k.line)
    assert texts.REJECTED_NOTICE in fake.texts_for(uid)


def test_residents_and_other_blocks_cannot_approve(chat, demo, db, fake, k):
    uid, card = pending(chat, db, fake, k)
    data = button(card, texts.APPROVE)["data"]
    resident = demo_user_id("佐藤 花子")
    assert texts.OFFICERS_ONLY in all_text(chat.postback(resident, data))
    leader3 = user_id("leader3")
    with db.session() as s:  # make a 3班 block leader
        b3 = s.scalar(select(Block).where(Block.name == "3班"))
        h = s.scalar(select(Household).where(Household.name == "加藤 恵子"))
        s.add(Member(association_id=b3.association_id, line_user_id=leader3, household_id=h.id, block_id=b3.id,
                     name="加藤 恵子", role=Role.block_leader, status=MemberStatus.active))
    assert texts.OFFICERS_ONLY in all_text(chat.postback(leader3, data))
    assert member(db, uid).status == MemberStatus.pending


def test_join_code_links_directly(chat, demo, db):
    with db.session() as s:
        h = s.scalar(select(Household).where(Household.name == "高橋 和子"))  # the paper household
        code, hid = h.join_code, h.id
    uid = user_id("takahashi-son")
    card = chat.follow(uid)
    chat.tap(uid, card, texts.AGREE)
    reply = chat.text(uid, f"登録コード {code.replace('-', '')}")
    assert "ご自身のお名前" in all_text(reply)  # the representative's name is not taken over
    assert member(db, uid).household_id is None
    reply = chat.text(uid, "高橋 健太")
    assert "登録が完了しました" in all_text(reply)
    m = member(db, uid)
    assert m.household_id == hid and m.status == MemberStatus.active and m.name == "高橋 健太"
    with db.session() as s:
        assert s.get(Household, hid).on_line is True


def test_join_code_before_consent_asks_consent_first(chat, demo, db):
    with db.session() as s:
        code = s.scalar(select(Household.join_code).where(Household.name == "吉田 勇"))
    uid = user_id("eager")
    reply = chat.text(uid, f"登録コード {code}")
    assert texts.CONSENT_FIRST in all_text(reply) and texts.AGREE in all_text(reply)
    assert member(db, uid) is None


def test_unknown_join_code(chat, demo, db):
    uid = user_id("typo")
    card = chat.follow(uid)
    chat.tap(uid, card, texts.AGREE)
    reply = chat.text(uid, "登録コード 0000-0000")
    assert texts.JOIN_CODE_UNKNOWN in all_text(reply)
    assert member(db, uid).status == MemberStatus.registering


def test_unfollow_stops_pushes_and_refollow_restores(line, demo, db):
    uid = demo_user_id("佐藤 花子")
    line.unfollow(uid)
    assert member(db, uid).status == MemberStatus.unfollowed
    reply = line.follow(uid)
    assert texts.WELCOME_BACK in all_text(reply)
    assert member(db, uid).status == MemberStatus.active


def test_withdrawal_deletes_personal_data_and_keeps_household(chat, demo, db):
    uid = demo_user_id("佐藤 花子")
    confirm = chat.text(uid, "退会")
    assert texts.WITHDRAW_CONFIRM in all_text(confirm)
    assert member(db, uid).status == MemberStatus.active  # nothing before the confirm
    done = chat.tap(uid, confirm, texts.WITHDRAW_YES)
    assert texts.WITHDRAWN in all_text(done)
    assert member(db, uid) is None  # no row carries that LINE id any more
    with db.session() as s:
        gone = s.scalar(select(Member).where(Member.status == MemberStatus.withdrawn))
        assert gone.name is None and gone.line_user_id is None and gone.household_id is None
        assert gone.consent_at is None
        h = s.scalar(select(Household).where(Household.name == "佐藤 花子"))
        assert h is not None and h.on_line is False
    # the old confirm button, tapped again, changes nothing
    again = chat.tap(uid, confirm, texts.WITHDRAW_YES)
    assert texts.AGREE in all_text(again) or texts.NOT_REGISTERED in all_text(again)


def test_withdraw_cancelled_keeps_member(chat, demo, db):
    uid = demo_user_id("佐藤 花子")
    confirm = chat.text(uid, "退会")
    chat.tap(uid, confirm, texts.WITHDRAW_NO)
    assert member(db, uid).name == "佐藤 花子"


def test_typing_the_name_of_a_household_already_on_line_needs_approval(chat, demo, db, fake, k):
    """Names are printed on paper circulars: knowing one must not be enough to join a household."""
    uid = user_id("impostor")
    consent_and_block(chat, uid, "1班")
    asked = chat.text(uid, "佐藤 花子")  # 佐藤 花子 is already registered on LINE
    assert "あなたのお名前" in all_text(asked)  # issue 10: their own name first, never the representative's
    chat.text(uid, "佐藤 次郎")
    m = member(db, uid)
    assert m.status == MemberStatus.pending and m.household_id is None
    drain(db, k.line)
    (push,) = fake.sends("/push")  # 1班 has no block leader: the chair alone is asked
    assert push.body["to"] == CHAIR and "すでにLINEで登録した方がいます" in all_text(push.body["messages"])


def test_forged_postback_ids_get_a_polite_answer(chat, demo, db):
    for data in ("a=approve&m=abc", "a=reg_block&b=1;DROP", "a=read&c=-1", "a=approve_to&m=1&h=x"):
        reply = chat.postback(CHAIR, data)
        assert reply, data  # answered, not crashed


def test_withdrawal_removes_a_household_made_only_for_that_member(line, demo, db, fake, k):
    uid, card = pending(line, db, fake, k)
    pick = line.tap(CHAIR, card, texts.APPROVE)
    line.tap(CHAIR, pick, texts.NEW_HOUSEHOLD)
    confirm = line.text(uid, "退会")
    line.tap(uid, confirm, texts.WITHDRAW_YES)
    with db.session() as s:
        assert s.scalar(select(Household).where(Household.name == "青木 次郎")) is None
        assert s.scalar(select(func.count()).select_from(Household)) == 12  # the roster's households stay
    # the next circular's paper list no longer names them
    preview = line.text(CHAIR, "回覧 お知らせ\n本文")
    line.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    assert not [r for r in fake.sends() if "青木" in all_text(r.body.get("messages", []))
                and "紙で配って" in all_text(r.body.get("messages", []))]
