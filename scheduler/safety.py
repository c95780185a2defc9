"""Disaster-mode jobs: re-ask silent households (ignores quiet hours), then hand the still-silent
ones to their block leaders as a visit list; purge old locations and photos."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, func, select

from bot.state import Kairan
from handlers.router import enqueue
from handlers.safety import DISASTER, check_card, send_visit_lists
from models import (
    Disaster, Household, Member, MemberStatus, OutboxMessage, SafetyAsk, SafetyLocation, SafetyPhoto, utcnow,
)
from models.safety import silent_households

log = logging.getLogger(__name__)


def reask(k: Kairan) -> int:
    """Every N minutes after the last round, at most M times: only households with no answer."""
    st = k.settings
    now = utcnow()
    sent = 0
    with k.db.session() as s:
        active = s.scalars(select(Disaster).where(Disaster.ended_at.is_(None))).all()
        for d in active:
            last = s.scalar(select(func.max(SafetyAsk.round)).where(SafetyAsk.disaster_id == d.id)) or 0
            last_at = s.scalar(select(SafetyAsk.sent_at).where(SafetyAsk.disaster_id == d.id, SafetyAsk.round == last))
            if last_at and now - last_at < dt.timedelta(minutes=st.safety_reask_minutes):
                continue
            if last >= st.safety_reask_max:
                if d.visits_sent_at is None:  # the last re-ask had its time: knock on the doors
                    rows = silent_households(s, d.id)
                    n = send_visit_lists(s, d, rows, True, now)
                    d.visits_sent_at = now
                    log.info("disaster %s: %d silent household(s) to visit, %d message(s)", d.id, len(rows), n)
                continue
            silent = [r.household_id for r in silent_households(s, d.id)]
            users = s.scalars(select(Member.line_user_id).join(Household, Member.household_id == Household.id)
                              .where(Member.household_id.in_(silent or [-1]), Member.status == MemberStatus.active,
                                     Member.line_user_id.is_not(None))
                              .order_by(Household.needs_support.desc(), Member.id)).all()
            s.add(SafetyAsk(association_id=d.association_id, disaster_id=d.id, round=last + 1, sent_at=now,
                            households=len(silent), recipients=len(users)))
            if users:
                enqueue(s, d.association_id, list(users), [check_card(d, reask=True)],
                        f"safety:{d.id}:{last + 1}", priority=DISASTER, now=now)
            sent += len(users)
            log.info("disaster %s: re-ask round %d to %d silent households", d.id, last + 1, len(silent))
    return sent


def purge_locations(k: Kairan) -> int:
    """Locations are deleted once the retention after the disaster's end has passed. Logs counts only."""
    now = utcnow()
    total = 0
    with k.db.session() as s:
        for d in s.scalars(select(Disaster).where(Disaster.purge_after <= now, Disaster.purged_at.is_(None))):
            n = s.execute(delete(SafetyLocation).where(SafetyLocation.disaster_id == d.id)).rowcount
            photos = s.execute(delete(SafetyPhoto).where(SafetyPhoto.disaster_id == d.id)).rowcount
            # rescue alerts carried a map link: they go with the locations
            s.execute(delete(OutboxMessage).where(OutboxMessage.association_id == d.association_id,
                                                  OutboxMessage.purpose.like("rescue:%"),
                                                  OutboxMessage.status.in_(("sent", "failed"))))
            d.purged_at = now
            total += n
            log.info("disaster %s: purged %d location(s) and %d photo(s) after the retention period", d.id, n, photos)
    return total
