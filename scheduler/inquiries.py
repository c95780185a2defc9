"""問い合わせ's photos: downloaded from LINE's content API outside any transaction, once (each try
is claimed first), at most PHOTO_ATTEMPTS times, kept only when small enough (the disaster photos'
way: scheduler/safety.py fetch_photos)."""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import or_, select, update

from models import utcnow
from models.inquiries import PHOTO_ATTEMPTS, PHOTO_MAX_BYTES, Inquiry
from models.tenancy import channel_id_for
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)
RETRY = dt.timedelta(seconds=20)
BATCH = 20


def fetch_photos(k: Runtime) -> int:
    now = utcnow()
    due_now = or_(Inquiry.photo_next_try_at.is_(None), Inquiry.photo_next_try_at <= now)
    with k.db.session() as s:
        due = s.execute(select(Inquiry.id, Inquiry.photo_message_id, Inquiry.association_id).where(
            Inquiry.photo_status == "pending", due_now).order_by(Inquiry.id).limit(BATCH)).all()
    stored = 0
    for inquiry_id, message_id, association_id in due:
        with k.db.session() as s:  # the claim
            claimed = s.execute(update(Inquiry).where(Inquiry.id == inquiry_id, Inquiry.photo_status == "pending", due_now)
                                .values(photo_attempts=Inquiry.photo_attempts + 1, photo_next_try_at=now + RETRY)
                                .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue
        with k.db.read() as s:
            line = k.line_for(channel_id_for(s, association_id))
        content = line.get_content(message_id) if line is not None else None  # no transaction open
        with k.db.session() as s:
            q = s.get(Inquiry, inquiry_id)
            if q is None or q.photo_status != "pending":
                continue  # erased meanwhile (退会)
            if content is not None and len(content[0]) <= PHOTO_MAX_BYTES and (content[1] or "").startswith("image/"):
                q.photo, q.photo_type, q.photo_status, q.photo_next_try_at = content[0], content[1][:100], "stored", None
                stored += 1
            elif content is not None or q.photo_attempts >= PHOTO_ATTEMPTS:
                q.photo_status, q.photo_next_try_at = "failed", None
                log.warning("inquiry %s: the photo could not be kept", q.id)
            else:
                q.photo_next_try_at = utcnow() + dt.timedelta(seconds=2 * q.photo_attempts)
    return stored
