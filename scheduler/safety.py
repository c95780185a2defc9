"""Disaster-mode jobs: re-ask silent households (ignores quiet hours), then hand the still-silent
ones to their block leaders as a visit list; download residents' photos; purge old locations and
photos."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, func, or_, select, update

from handlers.messages import builders as msg, texts
from handlers.safety.common import DISASTER, MAX_PHOTO, STARTERS, check_card
from handlers.safety.report import photo_arrived
from handlers.safety.start import start_disaster
from handlers.safety.visits import send_visit_lists
from models import (
    Disaster,
    Household,
    Member,
    MemberStatus,
    OutboxMessage,
    SafetyAsk,
    SafetyLocation,
    SafetyPhoto,
    utcnow,
)
from models.audit import record
from models.drills import DrillPlan
from models.messaging import enqueue
from models.safety import active_disaster, silent_households
from models.tenancy import channel_id_for
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)

PHOTO_ATTEMPTS = 3  # then LINE will not hand it over: the resident is told
PHOTO_RETRY = dt.timedelta(seconds=20)  # a claimed try: nobody else tries before this (above the client timeout)
PHOTO_BATCH = 20


def reask(k: Runtime) -> int:
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


def purge_locations(k: Runtime) -> int:
    """Locations are deleted once the retention after the disaster's end has passed. Logs counts only."""
    now = utcnow()
    total = 0
    with k.db.session() as s:
        for d in s.scalars(select(Disaster).where(Disaster.purge_after <= now, Disaster.purged_at.is_(None))):
            n = s.execute(delete(SafetyLocation).where(SafetyLocation.disaster_id == d.id)).rowcount
            photos = s.execute(delete(SafetyPhoto).where(SafetyPhoto.disaster_id == d.id)).rowcount
            # rescue alerts carried a map link: they go with the locations
            for kind in ("rescue:%", "visit-ask:%"):  # the visit cards (issue 14) carried one too
                s.execute(delete(OutboxMessage).where(OutboxMessage.association_id == d.association_id,
                                                      OutboxMessage.purpose.like(kind),
                                                      OutboxMessage.status.in_(("sent", "failed"))))
            d.purged_at = now
            total += n
            log.info("disaster %s: purged %d location(s) and %d photo(s) after the retention period", d.id, n, photos)
    return total


def fetch_photos(k: Runtime) -> int:
    """Download the photos residents sent (SafetyPhoto `pending`), outside any transaction.

    Per photo: one short transaction claims a try (attempts + 1, next try later: another process
    or a crash never downloads it twice at once, and the tries are bounded), the download, one
    short transaction stores it (then it joins the household's 連絡事項) or, after
    PHOTO_ATTEMPTS tries or when it is too large, marks it failed and tells the resident.
    Returns the photos stored.
    """
    now = utcnow()
    with k.db.session() as s:
        due = s.execute(select(SafetyPhoto.id, SafetyPhoto.line_message_id, SafetyPhoto.association_id).where(
            SafetyPhoto.status == "pending",
            or_(SafetyPhoto.next_try_at.is_(None), SafetyPhoto.next_try_at <= now))
            .order_by(SafetyPhoto.id).limit(PHOTO_BATCH)).all()
    stored = 0
    for photo_id, message_id, association_id in due:
        with k.db.session() as s:  # the claim
            claimed = s.execute(update(SafetyPhoto).where(
                SafetyPhoto.id == photo_id, SafetyPhoto.status == "pending",
                or_(SafetyPhoto.next_try_at.is_(None), SafetyPhoto.next_try_at <= now))
                .values(attempts=SafetyPhoto.attempts + 1, next_try_at=now + PHOTO_RETRY)
                .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue
        with k.db.read() as s:  # the channel the resident sent it on
            line = k.line_for(channel_id_for(s, association_id))
        content = line.get_content(message_id) if line is not None else None  # no transaction open
        with k.db.session() as s:
            p = s.get(SafetyPhoto, photo_id)
            if p is None or p.status != "pending":
                continue  # erased meanwhile (退会, purge)
            if content is not None and len(content[0]) <= MAX_PHOTO:
                p.data, p.content_type, p.status, p.next_try_at = content[0], (content[1] or "image/jpeg")[:100], "stored", None
                photo_arrived(s, k.settings, p, utcnow())
                stored += 1
                continue
            too_large = content is not None
            if too_large or p.attempts >= PHOTO_ATTEMPTS:
                p.status, p.next_try_at = "failed", None
                log.warning("disaster %s: a resident's photo could not be kept (%s)", p.disaster_id,
                            "too large" if too_large else "no content")
                uid = s.scalar(select(Member.line_user_id).where(Member.id == p.member_id,
                                                                 Member.status == MemberStatus.active))
                if uid:
                    enqueue(s, p.association_id, [uid], [msg.text(texts.SAFETY_PHOTO_FAILED)],
                            f"photo-failed:{p.id}", priority=DISASTER, now=utcnow())
            else:
                p.next_try_at = utcnow() + dt.timedelta(seconds=2 * p.attempts)  # the next tick or two
    return stored


def start_planned_drills(k: Runtime) -> int:
    """Unannounced drills (訓練) whose time has come start, each once (the plan is claimed in the
    same transaction); one that finds disaster mode active is skipped. The chair and 防災担当 are
    told either way. Returns the drills started."""
    now = utcnow()
    started = 0
    with k.db.session() as s:
        due = s.scalars(select(DrillPlan).where(DrillPlan.state == "planned", DrillPlan.start_at <= now)
                        .order_by(DrillPlan.start_at, DrillPlan.id).with_for_update()).all()
        for plan in due:
            kind = texts.DISASTER_KINDS.get(plan.kind, plan.kind)
            told = s.scalars(select(Member.line_user_id).where(
                Member.association_id == plan.association_id, Member.status == MemberStatus.active,
                Member.line_user_id.is_not(None),
                or_(Member.role.in_(STARTERS), Member.id == (plan.created_by_id or -1))).order_by(Member.id)).all()
            if active_disaster(s, plan.association_id) is not None:
                plan.state = "skipped"
                enqueue(s, plan.association_id, list(told), [msg.text(texts.DRILL_PLAN_SKIPPED.format(kind=kind))],
                        f"drill-skipped:{plan.id}", priority=DISASTER, now=now)
                log.info("drill plan %s skipped: disaster mode is active", plan.id)
                continue
            d, recipients = start_disaster(s, plan.association_id, plan.kind, plan.message, plan.created_by_id, now,
                                           drill=True)
            plan.state, plan.disaster_id = "started", d.id
            record(s, plan.association_id, None, "drill.start", f"disaster:{d.id}", at=now, plan=plan.id,
                   recipients=recipients)
            enqueue(s, plan.association_id, list(told), [msg.text(texts.DRILL_PLAN_STARTED.format(kind=kind))],
                    f"drill-started:{plan.id}", priority=DISASTER, now=now)
            started += 1
            log.info("drill plan %s started as disaster %s", plan.id, d.id)
    return started
