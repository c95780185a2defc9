"""Review findings on disaster mode: photos downloaded outside the handling transaction (1),
退会 erases exactly that person's 連絡事項 (2), visit lists never cut (5), one rule for the safety
page and its link (7), the privacy notice names photos (8), rescue re-requests and simultaneous
answers coalesced (11)."""
import datetime as dt
import threading

import pytest
from sqlalchemy import select

from bot.dev.fake_line import message_text
from bot.outbox import drain
from handlers.messages import texts
from handlers.messages.limits import utf16_len
from models import Block, Household, Member, MemberStatus, OutboxMessage, Role, SafetyPhoto
from models.safety import may_see_safety
from scheduler.safety import fetch_photos

from chat import Line, actions, all_text
from conftest import dump_everything, user_id
from safety_kit import BOSAI, CHAIR, LEADER2, NAKAMURA, SATO, check_of, clock, pushes, report, start  # noqa: F401

SON = user_id("nakamura-son")  # a second member of 中村 幸子's household (2班)


def add_son(db, name="中村 次郎"):
    with db.session() as s:
        mother = s.scalar(select(Member).where(Member.line_user_id == NAKAMURA))
        s.add(Member(association_id=mother.association_id, line_user_id=SON, household_id=mother.household_id,
                     block_id=mother.block_id, name=name, status=MemberStatus.active))


def content_calls(fake, mid=None):
    return [q for q in fake.requests if q.path.endswith("/content") and (mid is None or f"/{mid}/" in q.path)]


# --- 1: the photo -------------------------------------------------------------------------
def test_the_photo_is_answered_at_once_and_downloaded_later_by_the_job(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    line.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    drain(db, k.line)
    reply = line.image(NAKAMURA, b"\xff\xd8\xff the collapsed wall", "image/jpeg")
    # the reply went out; LINE's content API was not asked while handling
    assert texts.SAFETY_PHOTO_RECORDED.format(household="中村 幸子") in all_text(reply)
    assert content_calls(fake) == []
    with db.session() as s:
        (p,) = s.scalars(select(SafetyPhoto)).all()
        assert p.status == "pending" and p.data is None
    assert texts.SAFETY_PHOTO_NOTE not in (report(db, "中村 幸子").answer_data or {}).get("comment", "")
    reply_seq = max(d.seq for d in fake.delivered if d.via == "reply" and d.user_id == NAKAMURA)
    assert fetch_photos(k) == 1
    (call,) = content_calls(fake)
    assert call.seq > reply_seq  # the download came after the answer
    assert fetch_photos(k) == 0 and len(content_calls(fake)) == 1  # once
    with db.session() as s:
        p = s.scalars(select(SafetyPhoto)).one()
        assert p.status == "stored" and p.data == b"\xff\xd8\xff the collapsed wall" and p.content_type == "image/jpeg"
    assert texts.SAFETY_PHOTO_NOTE in report(db, "中村 幸子").answer_data["comment"]  # now in the 連絡事項
    drain(db, k.line)  # and the officers hear of it: one update of the rescue request
    updates = [q for q in pushes(fake) if "救助要請・続報" in all_text(q.body.get("messages", []))]
    assert len(updates) == 1 and texts.SAFETY_PHOTO_NOTE in all_text(updates[0].body["messages"])


def test_two_jobs_at_once_download_a_photo_once(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    line.image(SATO, b"\xff\xd8\xff once", "image/jpeg")
    fake.latency = 0.3  # a slow LINE: both jobs run while the first download is under way
    done = []
    threads = [threading.Thread(target=lambda: done.append(fetch_photos(k))) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == [0, 1] and len(content_calls(fake)) == 1


def test_too_large_a_photo_fails_at_once_and_the_resident_is_told(line, demo, db, fake, k, clock, monkeypatch):
    import scheduler.safety as job

    monkeypatch.setattr(job, "MAX_PHOTO", 10)
    start(line)
    drain(db, k.line)
    line.image(SATO, b"\xff\xd8\xff far more than ten bytes", "image/jpeg")
    assert fetch_photos(k) == 0 and len(content_calls(fake)) == 1
    drain(db, k.line)
    assert texts.SAFETY_PHOTO_FAILED in fake.texts_for(SATO)
    with db.session() as s:
        assert s.scalars(select(SafetyPhoto.status)).one() == "failed"


def test_the_scheduler_runs_the_photo_job_every_few_seconds(k):
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler.runner import add_jobs

    job = add_jobs(BackgroundScheduler(), k).get_job("safety-photos")
    assert job is not None and job.trigger.interval <= dt.timedelta(seconds=5)


# --- 2: 退会 erases exactly that person's 連絡事項 --------------------------------------------
def test_withdrawal_erases_exactly_that_members_notes(line, demo, db, fake, k, clock):
    add_son(db)
    start(line)
    drain(db, k.line)
    line.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    drain(db, k.line)  # the alert went out
    # B (the son) types notes: kept for the household, quoted in the officers' updates
    line.text(SON, "二階の窓から手を振っています")
    line.text(SON, "寒い")
    drain(db, k.line)
    clock.shift(dt.timedelta(minutes=1))
    # A (the mother) answers later, with a note of her own: her answer carries B's notes along
    line.text(NAKAMURA, "救助をお願いします、足が動きません")
    son_words = ["二階の窓から手を振っています", "寒い", "中村 次郎", SON]
    before = dump_everything(db)
    assert all(w in before for w in son_words)
    with db.session() as s:  # the update waiting for its 5 minutes quotes both of them
        waiting = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("rescue:%:update"),
                                                        OutboxMessage.status == "pending")).one()
        assert "二階の窓から手を振っています" in message_text(waiting.messages[0])
    confirm = line.text(SON, "退会")
    assert texts.WITHDRAWN in all_text(line.tap(SON, confirm, texts.WITHDRAW_YES))
    after = dump_everything(db)
    found = [w for w in son_words if w in after]
    assert not found, [row for row in after.splitlines() if any(w in row for w in found)][:5]
    # A's note stays: in the report, its history, and the officers' waiting update
    r = report(db, "中村 幸子")
    assert r.answer == "rescue" and r.answer_data["comment"] == "救助をお願いします、足が動きません"
    assert [n["t"] for n in r.answer_data["notes"]] == ["救助をお願いします、足が動きません"]
    assert "救助をお願いします、足が動きません" in r.history[-1].answer_data["comment"]
    with db.session() as s:
        text = message_text(s.get(OutboxMessage, waiting.id).messages[0])
    assert "救助をお願いします、足が動きません" in text and texts.WITHDRAWN_NAME in text


def test_withdrawal_of_the_one_who_answered_keeps_the_others_notes(line, demo, db, fake, k, clock):
    """The reverse case: B answers last, A wrote the note; B leaves, A's words stay."""
    add_son(db)
    start(line)
    drain(db, k.line)
    line.text(NAKAMURA, "母は公民館に避難させました")  # A: a 連絡事項, no status
    line.tap(SON, [check_of(fake, SON)], "無事")  # B answers for the household
    confirm = line.text(SON, "退会")
    line.tap(SON, confirm, texts.WITHDRAW_YES)
    r = report(db, "中村 幸子")
    # (A's typed 「避難させました」 is read as 避難しました; issue 10: B's later 無事 does not lower it)
    assert r.answer == "evacuated" and r.answer_data["comment"] == "母は公民館に避難させました"
    assert "中村 次郎" not in dump_everything(db)


# --- 5: visit lists never cut ------------------------------------------------------------
def test_a_long_visit_list_is_split_and_names_every_household(line, demo, db, fake, k, clock):
    # 700 silent paper households per 班, about 45 UTF-16 units each (an emoji counts 2): 7 messages
    names = [f"長い名前の世帯{i:04d}号🌸さくら町内会第二分区の皆様方ご一同" for i in range(1400)]
    with db.session() as s:
        b2 = s.scalar(select(Block).where(Block.name == "2班"))
        b1 = s.scalar(select(Block).where(Block.name == "1班"))  # no block leader: to the chair and 防災担当
        for i, n in enumerate(names):
            s.add(Household(association_id=b2.association_id, block_id=(b2 if i % 2 else b1).id, name=n,
                            on_line=False, join_code=f"X{i:08d}"))
    start(line)
    drain(db, k.line)
    for who, blocks in ((LEADER2, names[1::2]), (CHAIR, names[0::2]), (BOSAI, names[0::2])):
        sent = [q for q in fake.sends("/push") if q.body["to"] == who and "様（紙）" in all_text(q.body["messages"])]
        assert "【訪問のお願い】" in sent[0].body["messages"][0]["text"]
        texts_ = [m["text"] for q in sent for m in q.body["messages"]]
        assert len(texts_) > 5 and len(sent) >= 2, who  # more than one push can carry: several pushes
        assert all(utf16_len(t) <= 5000 for t in texts_)
        body = "\n".join(texts_)
        for n in blocks:
            assert f"{n}様（紙）" in body, (who, n)  # every name, whole
        assert sum(len(q.body["messages"]) for q in sent) == len(texts_)
        assert "quickReply" in sent[-1].body["messages"][-1]  # [代理で記録] on the last one


def test_block_lines_never_cut_a_name():
    from handlers.messages.cards import block_lines, packed

    labels = [f"世帯{i}様" for i in range(100)]
    lines = block_lines("2班", labels, 60)
    assert all(utf16_len(x) <= 60 for x in lines) and len(lines) > 1
    assert [n for x in lines for n in x.split("：", 1)[1].split("、")] == labels
    groups = packed(["【訪問のお願い】地震"], lines, [], limit=120)
    assert all(len(g) <= 5 for g in groups)
    assert "\n".join(m["text"] for g in groups for m in g).count("様") == 100


# --- 7: one rule for the page and its link ------------------------------------------------
@pytest.mark.parametrize("role, status, block, sees", [
    (Role.chair, MemberStatus.active, None, True), (Role.officer, MemberStatus.active, None, True),
    (Role.disaster_officer, MemberStatus.active, None, True), (Role.block_leader, MemberStatus.active, 1, True),
    (Role.block_leader, MemberStatus.active, None, False), (Role.member, MemberStatus.active, None, False),
    (Role.chair, MemberStatus.withdrawn, None, False),
])
def test_may_see_safety(role, status, block, sees):
    assert may_see_safety(Member(role=role, status=status, block_id=block)) is sees


def test_the_chat_link_and_the_page_follow_the_same_rule(line, demo, db, fake, k, clock):
    from bot.web import auth as admin  # the pages' guard (navigation bar) lives in bot/web/auth.py

    assert admin.may_see_safety is may_see_safety
    start(line)
    drain(db, k.line)
    with db.session() as s:
        s.scalar(select(Member).where(Member.line_user_id == SATO)).role = Role.officer
    for who in (CHAIR, BOSAI, LEADER2, SATO):
        with db.session() as s:
            m = s.scalar(select(Member).where(Member.line_user_id == who))
            _ = m.household
            allowed = may_see_safety(m)
        reply = line.text(who, "安否状況")
        link = [a for a in actions(reply) if a.get("label") == texts.SAFETY_PAGE_OPEN]
        assert allowed and link, who  # every officer here may open the page: each gets its link
        client = line.client.application.test_client()
        resp = client.post(link[0]["uri"].replace("https://kairan.example.jp", ""),
                           headers={"Origin": "https://kairan.example.jp"})
        assert resp.status_code == 303 and client.get("/admin/safety/").status_code == 200


# --- 8: the privacy notice -----------------------------------------------------------------
def test_the_privacy_notice_names_disaster_photos(line, demo):
    page = line.client.get("/privacy").get_data(as_text=True)
    assert "位置情報と写真は、会長と防災担当" in page  # who sees them, purged with the locations
    assert "位置情報と写真、LINEのユーザーID" in page  # erased at 退会


# --- 11: rescue coalescing ------------------------------------------------------------------
def alerts(fake):
    return [q for q in pushes(fake) if "【救助要請】" in all_text(q.body.get("messages", []))]


def updates(fake):
    return [q for q in pushes(fake) if "【救助要請・続報】" in all_text(q.body.get("messages", []))]


def test_rescue_safe_rescue_within_minutes_is_an_update_not_a_new_alert(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    card = [check_of(fake, NAKAMURA)]
    line.tap(NAKAMURA, card, "救助が必要")
    drain(db, k.line)
    clock.shift(dt.timedelta(minutes=1))
    line.tap(NAKAMURA, card, "無事")
    clock.shift(dt.timedelta(minutes=1))
    r = line.tap(NAKAMURA, card, "救助が必要")
    assert texts.RESCUE_TOLD in all_text(r)  # the resident is told the same
    drain(db, k.line)
    assert len(alerts(fake)) == 1 and len(updates(fake)) == 1
    # long after the last alert: a new request is a new full alert
    clock.shift(dt.timedelta(minutes=10))
    line.tap(NAKAMURA, card, "無事")
    line.tap(NAKAMURA, card, "救助が必要")
    drain(db, k.line)
    assert len(alerts(fake)) == 2


def test_two_members_at_the_same_moment_make_one_update_row(line, demo, db, fake, k, clock, monkeypatch):
    import handlers.safety.rescue as safety

    add_son(db)
    start(line)
    drain(db, k.line)
    line.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "救助が必要")
    drain(db, k.line)  # the alert went out: the next location makes an update row
    both = threading.Barrier(2, timeout=1.5)
    real = safety.latest_location

    def meet(session, delivery_id):  # each handler waits here for the other (without a lock both get here)
        try:
            both.wait()
        except threading.BrokenBarrierError:
            pass
        return real(session, delivery_id)

    monkeypatch.setattr(safety, "latest_location", meet)
    events = []
    for uid, lat in ((NAKAMURA, 35.1), (SON, 35.2)):
        e = line.base(uid, "message")
        e["message"] = {"id": f"loc{uid[-6:]}", "type": "location", "latitude": lat, "longitude": 139.0}
        events.append(e)

    def post(e):
        assert Line(line.client.application.test_client(), fake).post(e) == 200

    threads = [threading.Thread(target=post, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    nakamura = report(db, "中村 幸子").id
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == f"rescue:{nakamura}:update")).all()
        assert len(rows) == 1, [message_text(r.messages[0]) for r in rows]
        assert rows[0].status == "pending" and rows[0].attempts == 0


def test_a_long_status_board_stays_within_lines_limit(line, demo, db, fake, k, clock):
    """「安否状況」 of an association with many 班 and long (emoji) names: several messages, none too long."""
    with db.session() as s:
        assoc = s.scalar(select(Block)).association_id
        for i in range(150):
            b = Block(association_id=assoc, name=f"第{i:03d}班🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸", position=10 + i)
            s.add(b)
            s.flush()
            s.add(Household(association_id=assoc, block_id=b.id, name=f"世帯{i:03d}🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸🌸",
                            on_line=False, join_code=f"Y{i:08d}"))
    start(line)
    drain(db, k.line)
    reply = line.text(CHAIR, "安否状況")
    assert 2 <= len(reply) <= 5 and all(utf16_len(m["text"]) <= 5000 for m in reply if m["type"] == "text")
    body = all_text(reply)
    assert "・第149班" in body  # the blocks' lines are all there
    assert texts.SAFETY_PAGE_OPEN in [a.get("label") for a in actions(reply)]


def test_undoing_a_link_takes_that_members_notes_and_photos_along(line, demo, db, fake, k, clock):
    """[取り消す] (models.erasure.undo_answers): the same authorship decides whose words go."""
    from models.erasure import undo_answers

    add_son(db)
    start(line)
    drain(db, k.line)
    line.text(SON, "玄関のガラスが割れています")
    line.image(SON, b"\xff\xd8\xff son's photo", "image/jpeg")
    line.tap(NAKAMURA, [check_of(fake, NAKAMURA)], "無事")
    line.text(NAKAMURA, "母は元気です、公民館にいます")
    with db.session() as s:
        son = s.scalar(select(Member).where(Member.line_user_id == SON))
        undo_answers(s, son, son.household_id)
    r = report(db, "中村 幸子")
    assert r.answer == "safe" and r.answer_data["comment"] == "母は元気です、公民館にいます"
    assert all("玄関のガラス" not in str(h.answer_data) for h in r.history)
    with db.session() as s:
        assert s.scalars(select(SafetyPhoto)).all() == []
