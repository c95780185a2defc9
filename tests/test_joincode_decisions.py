"""Issue 10: officers see what other officers decided — [却下] asks once more with an optional
reason, the others who got the request learn it; 「承認待ち」 lists what waits, with its buttons; a
退会 is told to the 班長. Through the webhook, with the fake LINE."""
import datetime as dt

import pytest
import time_machine

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import MemberStatus

from chat import all_text, button, labels
from conftest import member, user_id

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc)
CHAIR = demo_user_id("山田 太郎")
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
ITO = demo_user_id("伊藤 美咲")  # 2班 resident


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def pushed_to(fake, uid):
    out = []
    for r in fake.sends():
        if r.path.endswith("/reply"):
            continue
        to = r.body.get("to")
        if to == uid or (isinstance(to, list) and uid in to):
            out += r.body["messages"]
    return out


def apply(line, db, k, name):
    uid = user_id(name)
    card = line.follow(uid)
    line.tap(uid, line.tap(uid, card, texts.AGREE), "2班")
    line.text(uid, name)  # not in the roster: approval
    drain(db, k.line)
    return uid


def test_reject_asks_once_more_takes_a_reason_and_the_others_learn_it(line, demo, db, fake, k, clock):
    uid = apply(line, db, k, "青木 次郎")
    request = pushed_to(fake, LEADER2)
    asked = line.tap(LEADER2, request, texts.REJECT)
    assert texts.REJECT_ASK.format(name="青木 次郎") in all_text(asked)
    assert member(db, uid).status == MemberStatus.pending  # nothing decided yet
    done = line.text(LEADER2, "2班にはいらっしゃらない方でした")
    assert texts.REJECTED_DONE.format(name="青木 次郎") in all_text(done)
    assert member(db, uid) is None
    drain(db, k.line)
    assert texts.REJECTED_NOTICE in all_text(pushed_to(fake, uid))
    told = all_text(pushed_to(fake, CHAIR))
    assert texts.DECIDED_REJECTED.format(name="青木 次郎", block="2班", actor="田中 実") in told
    assert texts.DECIDED_REASON.format(reason="2班にはいらっしゃらない方でした") in told
    assert texts.DECIDED_REJECTED.format(name="青木 次郎", block="2班", actor="田中 実") \
        not in all_text(pushed_to(fake, LEADER2))  # not the one who decided
    # the chair's own buttons: already handled
    assert texts.ALREADY_HANDLED in all_text(line.tap(CHAIR, request, texts.APPROVE))
    assert texts.ALREADY_HANDLED in all_text(line.tap(CHAIR, request, texts.REJECT))


def test_reject_can_be_called_off(line, demo, db, fake, k, clock):
    uid = apply(line, db, k, "青木 次郎")
    asked = line.tap(CHAIR, pushed_to(fake, CHAIR), texts.REJECT)
    assert texts.REJECT_KEPT in all_text(line.tap(CHAIR, asked, texts.REJECT_KEEP))
    assert member(db, uid).status == MemberStatus.pending


def test_approval_is_told_to_the_other_officers(line, demo, db, fake, k, clock):
    uid = apply(line, db, k, "青木 次郎")
    pick = line.tap(CHAIR, pushed_to(fake, CHAIR), texts.APPROVE)
    line.tap(CHAIR, pick, texts.NEW_HOUSEHOLD)
    drain(db, k.line)
    assert texts.DECIDED_APPROVED.format(name="青木 次郎", block="2班", actor="山田 太郎", household="青木 次郎") \
        in all_text(pushed_to(fake, LEADER2))
    assert member(db, uid).status == MemberStatus.active


def test_pending_list_shows_requests_with_their_buttons(line, demo, db, fake, k, clock):
    assert texts.PENDING_NONE in all_text(line.text(CHAIR, texts.CMD_PENDING))
    first = apply(line, db, k, "青木 次郎")
    apply(line, db, k, "石井 三郎")
    listed = line.text(CHAIR, texts.CMD_PENDING)
    text = all_text(listed)
    assert texts.PENDING_LIST.format(n=2) in text and "青木 次郎" in text and "石井 三郎" in text
    assert labels(listed).count(texts.APPROVE) == 2
    # the list's buttons act as the request's
    pick = line.tap(CHAIR, listed[:2], texts.APPROVE)
    line.tap(CHAIR, pick, texts.NEW_HOUSEHOLD)
    assert member(db, first).status == MemberStatus.active
    # residents get no list
    assert texts.PENDING_LIST.format(n=1) not in all_text(line.text(ITO, texts.CMD_PENDING))


def test_withdrawal_is_told_to_the_block_leader(line, demo, db, fake, k, clock):
    confirm = line.text(ITO, texts.CMD_WITHDRAW)
    line.tap(ITO, confirm, texts.WITHDRAW_YES)
    drain(db, k.line)
    told = all_text(pushed_to(fake, LEADER2))
    assert texts.WITHDRAWN_TO_LEADER.format(block="2班", household="伊藤 美咲") in told  # the roster household
    assert texts.WITHDRAWN_TO_LEADER_PAPER in told  # nobody of the household left on LINE
    assert "退会" not in all_text(pushed_to(fake, CHAIR))  # the 班長, not everyone


def test_a_command_at_the_reason_step_is_a_command_not_a_reason(line, demo, db, fake, k, clock):
    uid = apply(line, db, k, "青木 次郎")
    line.tap(CHAIR, pushed_to(fake, CHAIR), texts.REJECT)
    listed = line.text(CHAIR, texts.CMD_PENDING)
    assert texts.PENDING_LIST.format(n=1) in all_text(listed)
    assert member(db, uid).status == MemberStatus.pending  # nothing rejected


def test_a_reason_typed_long_after_is_not_taken(line, demo, db, fake, k, clock):
    uid = apply(line, db, k, "青木 次郎")
    line.tap(CHAIR, pushed_to(fake, CHAIR), texts.REJECT)
    clock.shift(dt.timedelta(minutes=11))
    line.text(CHAIR, "やっぱり様子をみます")
    assert member(db, uid).status == MemberStatus.pending


def test_reject_on_the_dashboard_takes_a_reason_for_the_other_officers(line, demo, db, fake, k, clock):
    from admin_kit import csrf_token, post_form, sign_in
    uid = apply(line, db, k, "青木 次郎")
    client = line.client.application.test_client()
    sign_in(client, line, CHAIR)
    mid = member(db, uid).id
    sure = post_form(client, "/admin/approvals", f"/admin/approvals/{mid}/reject")
    assert texts.APPROVALS_REJECT_REASON in sure.get_data(as_text=True)
    resp = client.post(f"/admin/approvals/{mid}/reject", data={
        "confirm": "1", "reason": "班長さんに確認しました", "csrf_token": csrf_token(sure.get_data(as_text=True))})
    assert resp.status_code == 303 and member(db, uid) is None
    drain(db, k.line)
    told = all_text(pushed_to(fake, LEADER2))
    assert texts.DECIDED_REJECTED.format(name="青木 次郎", block="2班", actor="山田 太郎") in told
    assert texts.DECIDED_REASON.format(reason="班長さんに確認しました") in told


def test_a_rejected_applicant_leaves_no_name_or_display_name_in_the_outbox(line, demo, db, fake, k, clock):
    """「nothing of the applicant is kept」: the approval requests' copies (name, LINE display name)
    are emptied; a real resident's messages with the same name are not touched."""
    from sqlalchemy import select
    from models import OutboxMessage
    uid = user_id("伊藤 美咲の偽物")
    fake.profiles[uid] = "みさきーぬ"
    card = line.follow(uid)
    line.tap(uid, line.tap(uid, card, texts.AGREE), "2班")
    line.text(uid, "伊藤 美咲")  # a neighbour's household (she is on LINE): asked their own name
    line.text(uid, "伊藤 美咲")  # the same name again: approval
    drain(db, k.line)
    request = pushed_to(fake, LEADER2)
    assert "みさきーぬ" in all_text(request)
    from models.messaging import enqueue
    with db.session() as s:  # a message about the real 伊藤 美咲, still to be sent
        aid = member(db, ITO).association_id
        enqueue(s, aid, [CHAIR], [{"type": "text", "text": "2班 伊藤 美咲様の世帯：未読"}], "test:real")
    with db.session() as s:
        others = {r.id: (r.messages, r.status) for r in s.scalars(select(OutboxMessage)).all()
                  if "伊藤 美咲" in str(r.messages) and not r.purpose.startswith("approval:")}
    assert others
    line.tap(LEADER2, line.tap(LEADER2, request, texts.REJECT), texts.REJECT_NO_REASON)
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage)).all()
        approval = [r for r in rows if r.purpose.startswith("approval:")]
        assert approval and all(r.messages == [{"type": "text", "text": texts.WITHDRAWN_NAME}] for r in approval)
        assert not [r for r in rows if "みさきーぬ" in str(r.messages)]
        assert {r.id: (r.messages, r.status) for r in rows if r.id in others} == others  # the real one's stay
