"""Issue 10: wrong 登録コード are limited per LINE user — a polite answer, then a pause (even the
right code gets no answer during it), and the user may try again after it. The guard is the one of
migration 0009 (models/roster.py JoinAttempt): this replays the issue's observation through the
webhook with a travelled clock."""
import datetime as dt

import time_machine
from sqlalchemy import select
from stdnum import damm

from handlers.messages import texts
from models import Household

from chat import all_text
from conftest import member, user_id

T0 = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.timezone.utc)


def wrong_code(n: int) -> str:
    body = f"{31415926535 + n:011d}"
    return "-".join((body + damm.calc_check_digit(body))[i:i + 4] for i in range(0, 12, 4))


def test_wrong_codes_get_a_polite_answer_then_a_pause_then_may_try_again(line, demo, db):
    with db.session() as s:
        right = s.scalar(select(Household.join_code).where(Household.name == "伊藤 美咲"))
    uid = user_id("guesser")
    with time_machine.travel(T0, tick=False) as clock:
        card = line.follow(uid)
        line.tap(uid, line.tap(uid, card, texts.AGREE), "2班")
        answers = [all_text(line.text(uid, f"登録コード {wrong_code(i)}")) for i in range(6)]
        assert answers[:5] == [texts.JOIN_CODE_UNKNOWN] * 5  # polite, five times
        pause_head = texts.JOIN_CODE_PAUSED.split("{until}")[0]
        assert answers[5].startswith(pause_head)  # the sixth: a pause, said politely
        paused = all_text(line.text(uid, f"登録コード {right}"))  # even the right code: no answer now
        assert paused.startswith(pause_head) and member(db, uid).household_id is None
        clock.shift(dt.timedelta(minutes=1, seconds=1))  # the first pause is a minute
        assert "お名前" in all_text(line.text(uid, f"登録コード {right}"))
