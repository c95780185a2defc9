"""通報 jobs: download the photos residents sent (once; re-encoded without metadata), and delete
drafts left unfinished for a day. Mirrors scheduler/safety.py's fetch_photos."""
from __future__ import annotations

import datetime as dt
import io
import logging
from typing import Optional

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import or_, select, update

from handlers.messages import builders as msg, texts
from models import Member, MemberStatus, Report, ReportPhoto, utcnow
from models.messaging import enqueue
from models.reports import DRAFT_LIFETIME, PHOTO_MAX_BYTES, delete_drafts
from models.tenancy import channel_id_for
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)

PHOTO_ATTEMPTS = 3
PHOTO_RETRY = dt.timedelta(seconds=20)
PHOTO_BATCH = 20
JPEG_QUALITY = 88


def reencode(data: bytes, keep_location: bool = False) -> Optional[tuple[bytes, str]]:
    """The image drawn again from its pixels (no EXIF, no GPS, no comments: nothing but the
    picture), turned upright first; None for anything Pillow cannot read as an image. PNG stays
    PNG, everything else becomes JPEG. `keep_location`: the reporter agreed, the EXIF is kept."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            exif = img.info.get("exif") if keep_location else None
            img.load()
            pixels = img if keep_location else ImageOps.exif_transpose(img)
            if fmt != "PNG" or pixels.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
                pixels = pixels.convert("RGB")
            # a new image from the pixels alone: nothing of the file's info (EXIF, XMP, text) comes along
            clean = Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())
            if pixels.mode == "P":
                clean.putpalette(pixels.getpalette())
                if "transparency" in pixels.info:
                    clean.info["transparency"] = pixels.info["transparency"]
            out = io.BytesIO()
            if fmt == "PNG":
                clean.save(out, "PNG")
                return out.getvalue(), "image/png"
            clean.save(out, "JPEG", quality=JPEG_QUALITY, **({"exif": exif} if exif else {}))
            return out.getvalue(), "image/jpeg"
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return None


def _tell_failed(s, p: ReportPhoto, report: Report) -> None:
    uid = s.scalar(select(Member.line_user_id).where(Member.id == report.member_id,
                                                     Member.status == MemberStatus.active))
    if uid:
        enqueue(s, report.association_id, [uid], [msg.text(texts.RPT_PHOTO_FAILED)],
                f"report-photo-failed:{p.id}", now=utcnow())


def fetch_photos(k: Runtime) -> int:
    """Download the 通報 photos (ReportPhoto `pending`) outside any transaction: a short claim
    (attempts + 1, next try later), the download, a short transaction storing the re-encoded image
    or, when it is no image, too large, or LINE would not hand it over PHOTO_ATTEMPTS times,
    marking it failed and telling the reporter. Returns the photos stored."""
    now = utcnow()
    with k.db.session() as s:
        due = s.execute(select(ReportPhoto.id, ReportPhoto.line_message_id, Report.association_id)
                        .join(Report, Report.id == ReportPhoto.report_id).where(
            ReportPhoto.status == "pending",
            or_(ReportPhoto.next_try_at.is_(None), ReportPhoto.next_try_at <= now))
            .order_by(ReportPhoto.id).limit(PHOTO_BATCH)).all()
    stored = 0
    for photo_id, message_id, association_id in due:
        with k.db.session() as s:
            claimed = s.execute(update(ReportPhoto).where(
                ReportPhoto.id == photo_id, ReportPhoto.status == "pending",
                or_(ReportPhoto.next_try_at.is_(None), ReportPhoto.next_try_at <= now))
                .values(attempts=ReportPhoto.attempts + 1, next_try_at=now + PHOTO_RETRY)
                .execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue
        with k.db.read() as s:
            line = k.line_for(channel_id_for(s, association_id))
        content = line.get_content(message_id) if line is not None else None  # no transaction open
        with k.db.session() as s:
            p = s.get(ReportPhoto, photo_id)
            if p is None or p.status != "pending":
                continue  # deleted meanwhile (a cancelled draft, 退会, the purge)
            report = p.report
            image = None
            if content is not None and len(content[0]) <= PHOTO_MAX_BYTES:
                image = reencode(content[0], report.keep_photo_location)
            if image is not None:
                p.data, p.content_type, p.status, p.next_try_at = image[0], image[1], "stored", None
                stored += 1
                continue
            refused = content is not None  # too large, or not an image: trying again will not help
            if refused or p.attempts >= PHOTO_ATTEMPTS:
                p.status, p.next_try_at = "failed", None
                log.warning("report %s: a photo could not be kept (%s)", report.id,
                            "refused" if refused else "no content")
                _tell_failed(s, p, report)
            else:
                p.next_try_at = utcnow() + dt.timedelta(seconds=2 * p.attempts)
    return stored


def purge_drafts(k: Runtime) -> int:
    """Drafts untouched for DRAFT_LIFETIME go, with their photos. Logs the count only."""
    with k.db.session() as s:
        n = delete_drafts(s, Report.updated_at < utcnow() - DRAFT_LIFETIME)
    if n:
        log.info("reports: %d unfinished draft(s) deleted", n)
    return n
