"""When LINE itself is down: the live page says so in red, the home page points to the 連絡網, each
班's 連絡網 prints with ways to reach every household, and as soon as LINE answers again the block
leaders get their 班's 連絡網 (once). The outbox keeps every safety check and sends it then."""
import datetime as dt

from sqlalchemy import func, select, update

from bot import outbox
from handlers.messages import texts
from models import Block, Household, LineOutage, OutboxMessage
from scheduler import outage

from admin_kit import sign_in
from safety_kit import CHAIR, LEADER2, T0, clock, pushes, start  # noqa: F401 - clock is a fixture


def waiting(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status.in_(("pending", "sending"))))


def block_id(db, name: str) -> int:
    with db.session() as s:
        return s.scalar(select(Block.id).where(Block.name == name))


def line_fails(fake, db, k):
    """LINE answers 500 to every push: the safety checks stay in the outbox, retried later."""
    for kind in ("/push", "/multicast"):
        fake.fail_next(500, times=2_000, path_contains=kind)  # replies still work: LINE's push side is down
    outbox.drain(db, k.line)


def test_line_down_for_five_minutes_shows_the_banner_and_the_contacts(app, line, demo, db, fake, k, clock):
    start(line)
    line_fails(fake, db, k)
    assert waiting(db) > 0
    with db.session() as s:
        s.execute(update(Household).where(Household.name == "中村 幸子").values(phone="090-1234-5678"))
    client = app.test_client()
    sign_in(client, line, CHAIR)

    clock.shift(dt.timedelta(minutes=4))  # not yet: LINE may be slow for a moment
    assert outage.tick(k) == 0
    assert texts.LINE_DOWN_BANNER.split("（")[0] not in client.get("/admin/safety/").get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(LineOutage)) == 0

    clock.shift(dt.timedelta(minutes=2))
    outage.tick(k)
    with db.session() as s:
        (row,) = s.scalars(select(LineOutage)).all()
        assert row.recovered_at is None
    page = client.get("/admin/safety/").get_data(as_text=True)
    assert 'id="line-down"' in page and texts.LINE_DOWN_CONTACTS in page
    assert texts.HOME_LINE_DOWN in client.get("/admin/").get_data(as_text=True)

    contacts = client.get(f"/admin/prints/contacts?b={block_id(db, '2班')}").get_data(as_text=True)
    rows = contacts.split('<tbody>')[1].split('</tbody>')[0].split("<tr>")[1:]
    assert "中村 幸子 様" in rows[0] and texts.PRINT_SUPPORT_MARK in rows[0]  # 要支援 first
    assert 'href="tel:090-1234-5678"' in rows[0] and texts.CONTACTS_NO_STATUS in rows[0]
    assert all("1班" not in r and "佐藤 花子" not in r for r in rows)  # 2班 only


def test_when_line_answers_again_block_leaders_get_their_contacts_once(line, demo, db, fake, k, clock):
    start(line)
    line_fails(fake, db, k)
    clock.shift(dt.timedelta(minutes=6))
    outage.tick(k)
    before = len(fake.sends())

    fake.faults.clear()  # LINE is back
    clock.shift(dt.timedelta(minutes=15))  # past every backoff: the checks leave
    outbox.drain(db, k.line)
    assert waiting(db) == 0
    assert outage.tick(k) > 0
    outbox.drain(db, k.line)
    sent = pushes(fake, before)
    lists = [q for q in sent if any(texts.CONTACTS_PUSH_TITLE.split("】")[0] in m.get("text", "")
                                    for m in q.body["messages"])]
    to_leader = [q for q in lists if LEADER2 in (q.body.get("to") if isinstance(q.body.get("to"), list)
                                                 else [q.body.get("to")])]
    assert to_leader, [q.body for q in sent]
    text = "\n".join(m["text"] for q in to_leader for m in q.body["messages"])
    assert "■2班" in text and "中村 幸子様" in text and "■1班" not in text
    with db.session() as s:
        assert s.scalar(select(LineOutage.recovered_at)) is not None

    again = len(fake.sends())
    assert outage.tick(k) == 0  # once per outage
    outbox.drain(db, k.line)
    assert len(fake.sends()) == again


def test_no_outage_while_pushes_go_through(line, demo, db, fake, k, clock):
    start(line)
    outbox.drain(db, k.line)
    clock.shift(dt.timedelta(minutes=10))
    assert outage.tick(k) == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(LineOutage)) == 0
