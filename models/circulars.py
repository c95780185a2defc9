"""Circulars (回覧) and their attachments."""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import ForeignKey, LargeBinary, String, Text, bindparam, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, association_fk, created, intpk, utcnow
from .delivery import Delivery, write_receipts
from .sendable import Audience, Sendable, SendState, Target, audience, target_block_names

__all__ = ["Attachment", "Audience", "CATEGORIES", "Circular", "CircularState", "SUBJECT", "Target", "audience", "circular_and_delivery", "delivery_for",
           "mark_sent", "target_block_names"]


HERO_TYPES = ("image/jpeg", "image/png")  # what LINE shows in a Flex image
HERO_MAX_BYTES = 10 * 1024 * 1024
CircularState = SendState  # draft / sent, as events (models.sendable)
# a circular's category, chosen when drafting (default "other"); the archive filters by it
CATEGORIES = ("event", "safety", "general_meeting", "garbage", "condolence", "other")


class Circular(Sendable, Base):
    __tablename__ = "circulars"
    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(String(100), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # 行事, 防災・防犯, 総会, ごみ, おくやみ, その他 (keys: CATEGORIES; words: texts.CIRCULAR_CATEGORIES)
    category: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    # (association, target, target_block_ids, author, state, version, created_at, sent_at,
    # push_count: models.sendable.Sendable)

    # days after sending at which unread households get a reminder ([] = none)
    reminder_plan: Mapped[list[Any]] = mapped_column(default=lambda: [2])
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="circular", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    @property
    def hero_token(self) -> str | None:
        """The image token of the first attached photo LINE can show as a card's hero (JPEG or PNG,
        at most 10 MB); None when there is none (the other attachments are on the page)."""
        for a in self.attachments:
            if a.is_hero_image:
                return a.image_token
        return None


class Attachment(Base):
    """An image or PDF an officer sent while drafting; served on the circular's page."""

    __tablename__ = "attachments"
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    circular_id: Mapped[int] = mapped_column(ForeignKey("circulars.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # image / file
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created]
    # the secret of its public address (/i/<token>): the circular's Flex card shows its first image as
    # the hero, one message for every household, so LINE fetches it without a household's page token
    image_token: Mapped[str | None] = mapped_column(String(40), unique=True, default=lambda: secrets.token_urlsafe(16))
    circular: Mapped[Circular] = relationship(back_populates="attachments")

    @property
    def is_hero_image(self) -> bool:
        return (self.kind == "image" and self.content_type in HERO_TYPES and self.image_token is not None
                and len(self.data or b"") <= HERO_MAX_BYTES)


# --- circular operations -------------------------------------------------------------------

SUBJECT = "circular"


def mark_sent(session: Session, c: Circular, aud: Audience, now=None) -> None:
    """Create the per-household receipts; the circular is now sent."""
    now = now or utcnow()
    line_ids = {h.id for h in aud.line_households}
    write_receipts(session, c.association_id, SUBJECT, c.id, ((h.id, 0, h.id in line_ids) for h in aud.households),
                   now, pages=True)
    c.state, c.sent_at, c.push_count = CircularState.sent, now, len(aud.recipients)


def delivery_for(session: Session, c: Circular, household_id: int | None) -> Delivery | None:
    if household_id is None:
        return None
    return session.scalar(select(Delivery).where(Delivery.of(SUBJECT, c.id),
                                                 Delivery.household_id == household_id, Delivery.person_key == 0))


_STATEMENTS: dict = {}  # built once per process: building one costs about as much as running it


def circular_and_delivery(session: Session, circular_id: int, household_id: int | None
                          ) -> tuple[Circular | None, Delivery | None]:
    """The circular and that household's receipt of it (delivery_for's), in one statement: a
    「読みました」 tap asks for both (None for either that does not exist). The caller checks the
    circular is its association's before it uses either."""
    if "with_delivery" not in _STATEMENTS:
        _STATEMENTS["with_delivery"] = (
            select(Circular, Delivery)
            .outerjoin(Delivery, Delivery.of(SUBJECT, Circular.id) & (Delivery.household_id == bindparam("household_id"))
                       & (Delivery.person_key == 0))
            .where(Circular.id == bindparam("circular_id")).limit(1))
    row = session.execute(_STATEMENTS["with_delivery"], {"circular_id": circular_id,
                                                         "household_id": household_id}).first()
    return (None, None) if row is None else (row[0], row[1])
