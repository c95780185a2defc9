"""The end of disaster mode (issue 10): every resident on LINE hears 「災害モードは終了しました。ご協力
ありがとうございました」 from the outbox, as an ordinary (not urgent) message; the officers get the
summary instead, the officer who ended it the reply."""
from sqlalchemy import select

from bot.outbox import drain
from handlers.messages import texts
from models import OutboxMessage

from chat import all_text
from safety_kit import BOSAI, CHAIR, ITO, LEADER2, SATO, clock, pushes, start  # noqa: F401


def end(line, who=BOSAI):
    return line.tap(who, line.text(who, texts.CMD_DISASTER_END), texts.DISASTER_END_YES)


def test_residents_hear_the_end_from_the_outbox_not_urgent(line, demo, db, fake, k, clock):
    start(line)
    drain(db, k.line)
    before = len(fake.sends())
    reply = end(line)
    assert texts.DISASTER_ENDED in all_text(reply)
    with db.session() as s:
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("disaster-end-residents:%"))).all()
        (summary,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("disaster-end:%"))).all()
        assert row.priority == 0 and summary.priority > 0
    drain(db, k.line)
    sent = pushes(fake, before)
    told = [q for q in sent if any(m.get("text") == texts.DISASTER_END_RESIDENTS for m in q.body["messages"])]
    assert len(told) == 1
    to = set(told[0].body["to"] if isinstance(told[0].body["to"], list) else [told[0].body["to"]])
    assert {SATO, ITO} <= to and not {CHAIR, LEADER2, BOSAI} & to  # officers: the summary, not both
    summaries = [q for q in sent if "【災害モード終了】" in all_text(q.body["messages"])]
    assert summaries and BOSAI not in str(summaries[0].body["to"])


def test_no_end_message_twice_and_none_without_disaster(line, demo, db, fake, k, clock):
    start(line)
    confirm = line.text(BOSAI, texts.CMD_DISASTER_END)
    line.tap(BOSAI, confirm, texts.DISASTER_END_YES)
    assert all_text(line.tap(BOSAI, confirm, texts.DISASTER_END_YES)) == texts.DISASTER_NONE  # tapped again
    assert all_text(line.text(BOSAI, texts.CMD_DISASTER_END)) == texts.DISASTER_NONE
    with db.session() as s:
        assert len(s.scalars(select(OutboxMessage).where(
            OutboxMessage.purpose.like("disaster-end-residents:%"))).all()) == 1
