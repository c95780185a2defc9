"""問い合わせ: a resident's message to the association's officers (text, or a photo), and the
officers' answers. Residents never reach each other: the officers see who wrote, the resident sees
"the association" answering.

A photo is written `pending` by the chat (the LINE message id) and downloaded by the scheduler
(scheduler/inquiries.py), as the disaster photos are. 退会 erases a member's inquiries with their
answers (models/erasure.py).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .base import Base, association_fk, created, intpk

MAX_TEXT = 1000  # said at the step, never cut
DAILY_LIMIT = 5  # inquiries a member may send a day (JST)
PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_ATTEMPTS = 3


class Inquiry(Base):
    __tablename__ = "inquiries"
    __table_args__ = (Index("ix_inquiries_association_status", "association_id", "status"),
                      Index("ix_inquiries_photo_status", "photo_status"))
    id: Mapped[intpk]
    association_id: Mapped[int] = association_fk()
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    block_id: Mapped[Optional[int]] = mapped_column(ForeignKey("blocks.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")  # open / answered / closed
    photo_message_id: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    photo_status: Mapped[Optional[str]] = mapped_column(String(10))  # pending / stored / failed
    photo_type: Mapped[Optional[str]] = mapped_column(String(100))
    photo: Mapped[Optional[bytes]] = mapped_column(LargeBinary)
    photo_attempts: Mapped[int] = mapped_column(Integer, default=0)
    photo_next_try_at: Mapped[Optional[dt.datetime]]
    created_at: Mapped[created]
    answers: Mapped[list["InquiryAnswer"]] = relationship(
        back_populates="inquiry", order_by="InquiryAnswer.id", cascade="all, delete-orphan")


class InquiryAnswer(Base):
    __tablename__ = "inquiry_answers"
    id: Mapped[intpk]
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("inquiries.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[Optional[int]] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[created]
    inquiry: Mapped[Inquiry] = relationship(back_populates="answers")


def sent_since(session: Session, member_id: int, since: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(Inquiry).where(
        Inquiry.member_id == member_id, Inquiry.created_at >= since)) or 0
