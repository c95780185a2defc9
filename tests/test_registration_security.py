"""Issue 18 replays: nobody takes over a household by typing its name or guessing its code;
approval happens exactly once; 退会 leaves nothing of the person behind."""
import datetime as dt
import json
import random
import re
import threading

import pytest
import time_machine
from sqlalchemy import select
from stdnum import damm

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Delivery, Household, JoinAttempt, Member, MemberStatus, OutboxMessage, WebhookEvent

from chat import all_text, button
from conftest import dump_everything, member, user_id

JST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)
CHAIR = demo_user_id("山田 太郎")  # 会長, 1班
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
BOSAI = demo_user_id("小林 修")  # 防災担当, 3班
SATO = demo_user_id("佐藤 花子")  # 1班


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def consent(line, uid):
    card = line.follow(uid)
    return line.tap(uid, card, texts.AGREE)


def consent_and_block(line, uid, block):
    return line.tap(uid, consent(line, uid), block)


def code_of(db, name):
    with db.session() as s:
        return s.scalar(select(Household.join_code).where(Household.name == name))


def send_circular(line, who=CHAIR):
    preview = line.text(who, "回覧 お知らせ\n本文です。")
    return all_text(line.tap(who, preview, texts.SEND))


def pushes_to(fake, uid):
    return [r for r in fake.sends() if not r.path.endswith("/reply")
            and (r.body.get("to") == uid or uid in (r.body.get("to") or []))]


def snapshot(db, *models):
    with db.session() as s:
        return {m.__tablename__: sorted(tuple(getattr(r, c.key) for c in m.__table__.columns)
                                        for r in s.scalars(select(m))) for m in models}


# --- #1 a name alone -------------------------------------------------------------------------
def test_typing_a_paper_household_name_waits_for_approval_and_paper_goes_on(chat, demo, db, fake, k, clock):
    """Replay: a stranger consents, picks 1班 and types 「高橋　和子」 (LINE 無, 要支援)."""
    assert "紙 3世帯" in send_circular(chat)  # 高橋, 渡辺 and 吉田 get it on paper
    stranger = user_id("stranger")
    consent_and_block(chat, stranger, "1班")
    reply = chat.text(stranger, "高橋　和子")
    assert texts.PENDING in all_text(reply) and "登録が完了" not in all_text(reply)
    m = member(db, stranger)
    assert m.status == MemberStatus.pending and m.household_id is None
    drain(db, k.line)
    (ask,) = [r for r in pushes_to(fake, CHAIR) if texts.APPROVAL_REQUEST_TITLE in all_text(r.body["messages"])]
    assert texts.WHY_PAPER in all_text(ask.body["messages"])
    assert texts.APPROVE in all_text(ask.body["messages"])
    # nothing changed for the household: the next circular still counts her on paper
    assert "紙 3世帯" in send_circular(chat)
    with db.session() as s:
        assert s.scalar(select(Household).where(Household.name == "高橋 和子")).on_line is False
    # her answers to a disaster check are not the stranger's to give: the stranger is no member
    assert texts.WAITING_APPROVAL in all_text(chat.text(stranger, "無事"))


def test_a_needs_support_household_on_line_also_waits_for_approval(chat, demo, db, fake, k):
    with db.session() as s:
        s.scalar(select(Household).where(Household.name == "吉田 勇")).needs_support = True
    uid = user_id("not-yoshida")
    consent_and_block(chat, uid, "3班")
    assert texts.PENDING in all_text(chat.text(uid, "吉田 勇"))
    assert member(db, uid).household_id is None
    drain(db, k.line)
    assert texts.WHY_SUPPORT in all_text(fake.sends()[-1].body["messages"])


def test_first_member_by_name_is_linked_and_officers_can_undo_it(chat, demo, db, fake, k, clock):
    uid = user_id("watanabe?")
    consent_and_block(chat, uid, "2班")
    assert "登録が完了しました" in all_text(chat.text(uid, "渡辺 健"))
    drain(db, k.line)
    (notice,) = [r for r in fake.sends() if texts.LINKED_TITLE in all_text(r.body.get("messages", []))]
    # the 2班 leader and the chair are told at once; the 3班 防災担当 is not
    assert set(notice.body["to"]) == {CHAIR, LEADER2}
    text = all_text(notice.body["messages"])
    assert "2班の渡辺 健様の世帯に、「渡辺 健」さんがLINEで登録しました（名簿と同じお名前を入力）" in text
    assert texts.LINKED_PAPER_STOPS in text  # nobody was on LINE there: it got paper until now
    undo = button(notice.body["messages"], texts.UNDO_LINK)["data"]

    # the impostor reads a circular for the household meanwhile
    send_circular(chat)
    drain(db, k.line)
    card = [r for r in pushes_to(fake, uid) if r.path.endswith("/multicast")][-1].body["messages"]
    chat.tap(uid, card, texts.READ)
    # and answers a safety check for it: 「無事」 takes the household off the 未回答 list
    start_disaster(chat, BOSAI)
    drain(db, k.line)
    check = [r for r in pushes_to(fake, uid) if "安否確認" in all_text(r.body["messages"])][-1].body["messages"]
    chat.tap(uid, check, "無事")
    assert "渡辺 健" not in all_text(chat.text(BOSAI, "安否状況")).split("■未回答")[-1]

    # only officers and that 班's block leader may undo
    assert texts.OFFICERS_ONLY in all_text(chat.postback(SATO, undo))
    with db.session() as s:  # a 3班 block leader
        h3 = s.scalar(select(Household).where(Household.name == "加藤 恵子"))
        s.add(Member(association_id=h3.association_id, line_user_id=user_id("leader3"), household_id=h3.id,
                     block_id=h3.block_id, name="加藤 恵子", role="block_leader", status=MemberStatus.active))
    assert texts.OFFICERS_ONLY in all_text(chat.postback(user_id("leader3"), undo))
    assert member(db, uid).status == MemberStatus.active

    done = all_text(chat.postback(LEADER2, undo))
    assert "「渡辺 健」さんの登録を取り消しました" in done and texts.UNLINKED_PAPER_AGAIN in done
    assert member(db, uid) is None  # unlinked and erased
    with db.session() as s:
        h = s.scalar(select(Household).where(Household.name == "渡辺 健"))
        assert h.on_line is True  # as the roster had it
        assert not [m for m in h.members if m.status == MemberStatus.active]
        d = s.scalar(select(Delivery).where(Delivery.household_id == h.id, Delivery.of_kind("circular")))
        assert d.read_at is None and d.read_by_id is None  # the impostor's 読みました is undone
        safety = s.scalar(select(Delivery).where(Delivery.household_id == h.id, Delivery.of_kind("safety")))
        assert safety.answer is None and not safety.history  # 未回答 again, for a visit
    assert "渡辺 健" in all_text(chat.text(BOSAI, "安否状況")).split("■未回答")[-1]
    drain(db, k.line)
    assert texts.UNLINKED_NOTICE in fake.texts_for(uid)
    assert "紙 3世帯" in send_circular(chat)  # back on the paper list
    # the old button again changes nothing
    assert texts.UNLINK_ALREADY in all_text(chat.postback(CHAIR, undo))
    # the name of a household once undone no longer links by itself
    again = user_id("watanabe-again")
    consent_and_block(chat, again, "2班")
    assert texts.PENDING in all_text(chat.text(again, "渡辺 健"))
    drain(db, k.line)
    assert texts.WHY_UNDONE in all_text(fake.sends()[-1].body["messages"])


def test_join_code_to_a_paper_household_says_paper_stops_and_undo_restores_paper(chat, demo, db, fake, k, clock):
    uid = user_id("takahashi-son")
    consent(chat, uid)
    chat.text(uid, f"登録コード {code_of(db, '高橋 和子')}")
    assert "登録が完了しました" in all_text(chat.text(uid, "高橋 健太"))
    assert "紙 2世帯" in send_circular(chat)
    drain(db, k.line)
    (notice,) = [r for r in pushes_to(fake, CHAIR) if texts.LINKED_TITLE in all_text(r.body["messages"])]
    text = all_text(notice.body["messages"])
    assert "「高橋 健太」さんがLINEで登録しました（登録コードを入力）" in text and texts.LINKED_PAPER_STOPS in text
    done = all_text(chat.tap(CHAIR, notice.body["messages"], texts.UNDO_LINK))
    assert texts.UNLINKED_PAPER_AGAIN in done
    with db.session() as s:
        assert s.scalar(select(Household).where(Household.name == "高橋 和子")).on_line is False
    assert "紙 3世帯" in send_circular(chat)


# --- #5 登録コード ----------------------------------------------------------------------------
def post_texts(line, uid, words, per_body=50):
    """Many messages from one user, 50 to a webhook body as LINE batches them; the replies."""
    out = []
    for i in range(0, len(words), per_body):
        events = [line.text_event(uid, w) for w in words[i:i + per_body]]
        before = max((d.seq for d in line.fake.delivered), default=0)
        assert line.post(*events) == 200
        out += [all_text([d.message]) for d in line.fake.messages_for(uid, after=before) if d.via == "reply"]
    return out


def test_guessing_join_codes_is_paused_and_the_right_code_gets_no_answer_then(line, demo, db, fake, k, clock):
    """Replay: 2,000 wrong codes from one LINE user."""
    uid = user_id("guesser")
    consent(line, uid)
    codes = {code_of(db, "吉田 勇").replace("-", "")}
    rng = random.Random(18)
    guesses = []
    while len(guesses) < 2000:
        g = f"{rng.randrange(10 ** 8):08d}"
        if g not in codes:
            guesses.append(f"登録コード {g[:4]}-{g[4:]}")
    before = snapshot(db, Household, Member)
    replies = post_texts(line, uid, guesses)
    assert len(replies) == 2000
    assert replies[:5] == [texts.JOIN_CODE_UNKNOWN] * 5  # a few polite answers
    paused = texts.JOIN_CODE_PAUSED.format(until="10時01分")
    assert replies[5:] == [paused] * 1995  # then the pause, for every further code
    # the right code during the pause is refused the same way: no oracle
    right = f"登録コード {code_of(db, '吉田 勇')}"
    assert all_text(line.text(uid, right)) == paused
    assert snapshot(db, Household, Member) == before
    assert member(db, uid).status == MemberStatus.registering and member(db, uid).household_id is None

    # the pause grows with every further wrong code
    clock.move_to(T0 + dt.timedelta(minutes=1, seconds=1))
    assert all_text(line.text(uid, "登録コード 0000-0001")) == texts.JOIN_CODE_PAUSED.format(until="10時03分")
    clock.move_to(T0 + dt.timedelta(minutes=3, seconds=1))
    assert "ご自身のお名前" in all_text(line.text(uid, right))  # after the pause the right code works
    with db.session() as s:  # and the user's attempts are forgotten
        assert [r.key for r in s.scalars(select(JoinAttempt))] == ["channel"]


def channel_notices(fake):
    """Pushes telling officers the channel's pause began."""
    head = texts.JOIN_CODE_CHANNEL_PAUSED.split("{until}")[0]
    return [r for r in fake.sends() if not r.path.endswith("/reply")
            and any(m.get("text", "").startswith(head) for m in r.body["messages"])]


def add_officer(db, name="木村 進"):
    """A 役員 (board member) besides the chair: told about the channel's pause too."""
    uid = user_id(name)
    with db.session() as s:
        h = s.scalar(select(Household).where(Household.name == "佐藤 花子"))
        s.add(Member(association_id=h.association_id, line_user_id=uid, household_id=h.id, block_id=h.block_id,
                     name=name, role="officer", status=MemberStatus.active))
    return uid


def test_many_accounts_pause_the_channel_for_guessers_only_and_officers_are_told_once(chat, demo, db, fake, k, clock):
    """Review 3: one person with many LINE accounts must not lock registration for everybody."""
    officer = add_officer(db)
    ring = []
    for i in range(30):  # 30 accounts, one wrong (but possible) code each: each answered politely
        uid = user_id(f"ring-{i}")
        consent(chat, uid)
        assert all_text(chat.text(uid, f"登録コード 1111-{i:04d}")) == texts.JOIN_CODE_UNKNOWN
        ring.append(uid)
    late = user_id("ring-late")
    consent(chat, late)  # the 31st wrong code starts the channel's pause
    paused = texts.JOIN_CODE_PAUSED.format(until="10時01分")
    assert all_text(chat.text(late, "登録コード 2222-2222")) == paused
    ring.append(late)
    drain(db, k.line)
    (notice,) = channel_notices(fake)
    assert set(notice.body["to"]) == {CHAIR, officer}  # the board; not the 班長 nor 防災担当
    # no personal data: the fixed sentence with the time only (no names, LINE ids or codes)
    assert [m["text"] for m in notice.body["messages"]] == [texts.JOIN_CODE_CHANNEL_PAUSED.format(until="10時01分")]

    # the ring's accounts are held back, even with the right code: no oracle
    right = f"登録コード {code_of(db, '吉田 勇')}"
    assert all_text(chat.text(ring[0], right)) == paused
    assert member(db, ring[0]).household_id is None
    # fresh accounts still get their one try each; their wrong codes keep the pause going
    for i in range(3):
        uid = user_id(f"ring-more-{i}")
        consent(chat, uid)
        assert all_text(chat.text(uid, f"登録コード 3333-{i:04d}")).startswith("登録コードの入力が続いたため")
    # an honest newcomer with the right code joins during the pause
    honest = user_id("honest")
    consent(chat, honest)
    assert "ご自身のお名前" in all_text(chat.text(honest, right))
    assert "登録が完了しました" in all_text(chat.text(honest, "吉田 次郎"))
    assert member(db, honest).household.name == "吉田 勇"
    drain(db, k.line)
    assert len(channel_notices(fake)) == 1  # told once, not at every wrong code

    # the pause ends; more wrong codes start a longer one, still without a second notice
    clock.move_to(T0 + dt.timedelta(minutes=20))
    assert all_text(chat.text(ring[1], "登録コード 4444-4444")).startswith("登録コードの入力が続いたため")
    assert all_text(chat.text(ring[2], right)).startswith("登録コードの入力が続いたため")
    drain(db, k.line)
    assert len(channel_notices(fake)) == 1
    # after an hour without wrong codes the channel's count is forgotten: a new run is told again
    clock.move_to(T0 + dt.timedelta(hours=3))
    answers = [all_text(chat.text(uid, f"登録コード 5555-{i:04d}")) for i, uid in enumerate(ring)]
    assert answers[:30] == [texts.JOIN_CODE_UNKNOWN] * 30
    assert answers[30] == texts.JOIN_CODE_PAUSED.format(until="13時01分")
    drain(db, k.line)
    assert len(channel_notices(fake)) == 2


def test_check_digit_typos_count_for_the_user_only_never_for_the_channel(chat, demo, db, fake, k, clock):
    """A code whose check digit is wrong (or with too few digits) cannot be anybody's: a typo, not a guess."""
    real = code_of(db, "吉田 勇")
    for i in range(40):  # 40 accounts, each with a typo: more than the channel allows for guesses
        uid = user_id(f"typo-{i}")
        consent(chat, uid)
        body = f"{i:011d}"
        typo = body + str((int(damm.calc_check_digit(body)) + 1) % 10)  # the check digit one off
        assert all_text(chat.text(uid, f"登録コード {typo[:4]}-{typo[4:8]}-{typo[8:]}")) == texts.JOIN_CODE_TYPO
    assert all_text(chat.text(user_id("typo-0"), "登録コード 1234")) == texts.JOIN_CODE_TYPO  # too short
    with db.session() as s:
        channel = s.scalar(select(JoinAttempt).where(JoinAttempt.key == "channel"))
        assert channel.failures == 0 and channel.locked_until is None
        assert s.scalar(select(JoinAttempt).where(JoinAttempt.key == f"user:{user_id('typo-0')}")).failures == 2
    # a possible but wrong code is still answered as not found, and the typists may still join
    guesser = user_id("after-typos")
    consent(chat, guesser)
    assert all_text(chat.text(guesser, "登録コード 9999-9999")) == texts.JOIN_CODE_UNKNOWN
    assert "ご自身のお名前" in all_text(chat.text(user_id("typo-1"), f"登録コード {real}"))
    drain(db, k.line)
    assert not channel_notices(fake)
    # per user, typos are counted as before: five answers, then the pause
    uid = user_id("typo-0")
    replies = [all_text(chat.text(uid, "登録コード 1234-5678-9010")) for _ in range(4)]
    assert replies == [texts.JOIN_CODE_TYPO] * 3 + [texts.JOIN_CODE_PAUSED.format(until="10時01分")]
    assert all_text(chat.text(uid, f"登録コード {real}")) == texts.JOIN_CODE_PAUSED.format(until="10時01分")


def test_a_pause_ending_tomorrow_says_the_day(line, demo, db, fake, k):
    with time_machine.travel(dt.datetime(2026, 11, 22, 23, 59, 30, tzinfo=JST), tick=False):
        uid = user_id("night-owl")
        consent(line, uid)
        replies = post_texts(line, uid, [f"登録コード 7777-{i:04d}" for i in range(6)])
    assert replies[5] == texts.JOIN_CODE_PAUSED.format(until="11月23日0時00分")


def test_a_code_typed_alone_in_the_name_step_is_an_attempt_too(line, demo, db, fake, k, clock):
    uid = user_id("digits")
    consent_and_block(line, uid, "3班")
    replies = post_texts(line, uid, ["9999 9999"] * 7)
    assert replies[:5] == [texts.JOIN_CODE_UNKNOWN] * 5 and replies[5].startswith("登録コードの入力が続いたため")


def test_new_codes_are_twelve_digits_with_a_check_digit_and_old_ones_still_work(chat, demo, db, fake, k, clock):
    from models.roster import household_by_code, new_join_code

    with db.session() as s:
        code = new_join_code(s)
        assert re.fullmatch(r"\d{4}-\d{4}-\d{4}", code)
        h = s.scalar(select(Household).where(Household.name == "吉田 勇"))
        h.join_code, assoc = code, h.association_id
        s.flush()
        assert household_by_code(s, assoc, code).id == h.id
        assert household_by_code(s, assoc, "登録コード " + code.replace("-", " ")).id == h.id
        wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
        assert household_by_code(s, assoc, wrong) is None
        s.scalar(select(Household).where(Household.name == "渡辺 健")).join_code = "1234-5678"  # printed earlier
    uid = user_id("old-sheet")
    consent(chat, uid)
    assert "渡辺 健様の世帯" in all_text(chat.text(uid, "１２３４－５６７８"))  # full-width, as typed on a phone
    assert "登録が完了しました" in all_text(chat.text(uid, "渡辺 さくら"))
    assert member(db, uid).name == "渡辺 さくら"
    drain(db, k.line)
    assert "「渡辺 さくら」さんがLINEで登録しました（登録コードを入力）" in all_text(fake.sends()[-1].body["messages"])


# --- #7 approval exactly once ----------------------------------------------------------------
def test_two_officers_approving_at_the_same_moment_make_one_household(line, demo, db, fake, k, monkeypatch):
    import handlers.registration.approvals as reg

    uid = user_id("aoki")
    consent_and_block(line, uid, "2班")
    line.text(uid, "青木 次郎")
    drain(db, k.line)
    card = fake.sends("/multicast")[-1].body["messages"]
    data = {who: button(line.tap(who, card, texts.APPROVE), texts.NEW_HOUSEHOLD)["data"]
            for who in (CHAIR, LEADER2)}
    # both taps read the applicant as pending before either writes (on PostgreSQL; SQLite
    # serialises the two transactions with BEGIN IMMEDIATE, so there the second reads after)
    barrier = threading.Barrier(2, timeout=5)
    real = reg.pending_target

    def both_read(ctx):
        target = real(ctx)
        if db.engine.dialect.name == "postgresql":
            barrier.wait()
        return target

    monkeypatch.setattr(reg, "pending_target", both_read)
    events = {who: line.postback_event(who, data[who]) for who in data}
    from chat import Line
    statuses = []
    threads = [threading.Thread(target=lambda w=w: statuses.append(Line(line.client.application.test_client(), fake)
                                                                       .post(events[w]))) for w in data]
    before = max((d.seq for d in fake.delivered), default=0)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200, 200]
    answers = sorted(all_text([d.message]) for w in data for d in fake.messages_for(w, after=before))
    assert [a for a in answers if "承認しました" in a] == ["青木 次郎さんを承認しました（青木 次郎様の世帯）。"]
    assert texts.ALREADY_HANDLED in answers
    with db.session() as s:
        assert len(s.scalars(select(Household).where(Household.name == "青木 次郎")).all()) == 1
        assert len(s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("approved:%"))).all()) == 1


# --- #9 is in test_circulars; #6 退会 ---------------------------------------------------------
def start_disaster(line, who):
    line.tap(who, line.text(who, "災害モード"), "地震")
    confirm = line.text(who, "なし")
    line.tap(who, confirm, texts.DISASTER_START)


def test_withdrawal_leaves_nothing_of_the_person_in_any_table(line, demo, db, fake, k, clock):
    uid = user_id("sakura")
    consent(line, uid)
    line.text(uid, f"登録コード {code_of(db, '渡辺 健')}")
    line.text(uid, "渡辺 さくら")
    # an event, answered with a comment
    preview = line.text(CHAIR, "出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1")
    line.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    ev_card = [r for r in pushes_to(fake, uid) if r.path.endswith("/multicast")][-1].body["messages"]
    asked = line.tap(uid, ev_card, "参加")
    assert texts.EV_ASK_COMMENT.format(answer="参加", example=texts.EV_COMMENT_EXAMPLES["yes"]) in all_text(asked)
    line.text(uid, "車いすで参加します")
    # a safety report: rescue, a location and a comment (an alert to the officers quotes them)
    start_disaster(line, BOSAI)
    drain(db, k.line)
    check = [r for r in pushes_to(fake, uid) if "安否確認" in all_text(r.body["messages"])][-1].body["messages"]
    line.tap(uid, check, "救助が必要")
    line.location(uid, 35.701234, 139.812345, "東町3-9-1")
    line.text(uid, "二階にいて足をけがしました")
    line.image(uid, b"\xff\xd8\xff photo-of-sakuras-house", "image/jpeg")  # kept as 連絡事項
    from scheduler.safety import fetch_photos
    fetch_photos(k)  # downloaded by the scheduler's job
    drain(db, k.line)
    # pushes still waiting for them, alone and among others; a failed webhook payload of theirs
    from models.messaging import enqueue
    with db.session() as s:
        enqueue(s, 1, [uid], [{"type": "text", "text": "お知らせ"}], "bulk:1")
        enqueue(s, 1, [uid, SATO], [{"type": "text", "text": "お知らせ"}], "bulk:2")
        bad = line.text_event(uid, "渡辺 さくらです。二階にいて足をけがしました")
        s.add(WebhookEvent(id="01FAILED" + "0" * 18, event_type="message", status="failed", attempts=5,
                           payload=json.dumps(bad, ensure_ascii=False), error="boom", user_id=uid))
        # an officer corrected her name on the dashboard: the audit log's before → after has it
        from models.audit import record
        sakura = s.scalar(select(Member).where(Member.line_user_id == uid))
        record(s, 1, None, "member.edit", f"member:{sakura.id}", before={"name": "渡辺さくら"},
               after={"name": "渡辺 さくら"})
        # and an earlier name (a maiden name, corrected since): it goes too
        record(s, 1, None, "member.edit", f"member:{sakura.id}", before={"name": "高田 さくら"},
               after={"name": "渡辺さくら"})
    secrets = [uid, "渡辺 さくら", "渡辺さくら", "高田 さくら", "車いすで参加します", "二階にいて足をけがしました",
               "35.701234", "139.812345", "東町3-9-1", "photo-of-sakuras-house"]
    before = dump_everything(db)
    assert all(s in before for s in secrets if s != "渡辺さくら")  # the test sees them before

    confirm = line.text(uid, "退会")
    assert texts.WITHDRAWN in all_text(line.tap(uid, confirm, texts.WITHDRAW_YES))
    after = dump_everything(db)
    escaped = [json.dumps(s)[1:-1] for s in secrets]
    found = [s for s in secrets + escaped if s in after]
    assert not found, [line_ for line_ in after.splitlines() if any(s in line_ for s in found)][:5]
    assert texts.WITHDRAWN_NAME in after  # quotes in officers' messages are blanked, the rows stay
    # what counts stays: the answers themselves (参加, 救助が必要), anonymous
    with db.session() as s:
        h = s.scalar(select(Household).where(Household.name == "渡辺 健"))
        answers = {d.subject.kind: d.answer for d in s.scalars(select(Delivery).where(Delivery.household_id == h.id))}
        assert answers["event"] == "yes" and answers["safety"] == "rescue"
        # SATO still gets the multicast that was waiting for both
        row = s.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "bulk:2"))
        assert row.recipients == [SATO] and row.status == "pending"
        assert s.scalar(select(OutboxMessage).where(OutboxMessage.purpose == "bulk:1")) is None


def test_an_applicant_who_withdraws_leaves_no_name_in_the_approval_request(line, demo, db, fake, k):
    uid = user_id("aoki-leaves")
    consent_and_block(line, uid, "2班")
    line.text(uid, "青木 次郎")  # pending; the request to the officers quotes the name (not sent yet)
    confirm = line.text(uid, "退会")
    line.tap(uid, confirm, texts.WITHDRAW_YES)
    assert "青木 次郎" not in dump_everything(db) and uid not in dump_everything(db)
    drain(db, k.line)
    (request,) = fake.sends("/multicast")  # still told, without the name; the buttons say it is over
    assert texts.WITHDRAWN_NAME in all_text(request.body["messages"])
    assert texts.ALREADY_HANDLED in all_text(line.tap(CHAIR, request.body["messages"], texts.APPROVE))


def test_concurrent_wrong_codes_from_one_user_are_all_counted(line, demo, db, fake, k, clock):
    """gunicorn runs several workers: twelve codes handled at the same moment still get five answers."""
    from chat import Line

    uid = user_id("parallel")
    consent(line, uid)
    events = [line.text_event(uid, f"登録コード 3333-{i:04d}") for i in range(12)]
    before = max((d.seq for d in fake.delivered), default=0)
    start = threading.Barrier(len(events), timeout=10)

    def post(e):
        client = Line(line.client.application.test_client(), fake)
        start.wait()
        assert client.post(e) == 200

    threads = [threading.Thread(target=post, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answers = [all_text([d.message]) for d in fake.messages_for(uid, after=before) if d.via == "reply"]
    assert len(answers) == 12
    assert answers.count(texts.JOIN_CODE_UNKNOWN) == 5
    with db.session() as s:
        row = s.scalar(select(JoinAttempt).where(JoinAttempt.key == f"user:{uid}"))
        assert row.failures == 6  # the five, and the one that started the pause; the rest refused unread
