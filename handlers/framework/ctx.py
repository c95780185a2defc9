"""Ctx: what a handler gets — the event, who sent it, the session framed by the caller, the
process's ports (settings, LINE, links), and ways to answer (a reply, a push through the outbox),
plus the dialog state of this user, kept in the database (gunicorn runs several workers)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from models import Association, ChannelRef, CityStaff, DialogState, Member, MemberStatus, utcnow
from models.audit import record
from models.messaging import enqueue

from .ports import ChatSettings, LineApi, Links

_UNSET = object()
_OPEN_DIALOG: dict[bool, Any] = {}  # Ctx.dialog's statement, built once per process (each tap asks it)


def _open_dialog(none: bool):
    """The latest dialog row of :uid about association :aid (`none`: about no association yet)."""
    if none not in _OPEN_DIALOG:
        about = DialogState.association_id.is_(None) if none else DialogState.association_id == bindparam("aid")
        _OPEN_DIALOG[none] = (select(DialogState).where(DialogState.line_user_id == bindparam("uid"), about)
                              .order_by(DialogState.id.desc()).limit(1))
    return _OPEN_DIALOG[none]


@dataclass
class Ctx:
    """What a handler gets: the event, who sent it, the session, and ways to answer."""

    session: Session
    settings: ChatSettings
    association: Optional[Association]  # None: someone on a city channel who has not picked one yet
    event: Any  # the line-bot-sdk webhook event model
    user_id: str
    member: Optional[Member]
    now: dt.datetime = field(default_factory=utcnow)
    channel: ChannelRef = field(default_factory=ChannelRef.env)  # the channel the event came in on
    staff: Optional[CityStaff] = None  # 市の担当者 talking on this channel (models/tenancy.py)
    watched: Optional[bool] = None  # the member has an active 見守り enrolment (None: not known, ask)
    line: Optional[LineApi] = None  # content downloads, the quota figure (ports.LineApi)
    links: Optional[Links] = None  # signed links to the web pages (ports.Links)
    data: dict[str, str] = field(default_factory=dict)  # parsed postback data
    text: str = ""  # the text message, stripped
    replies: list[dict] = field(default_factory=list)
    _dialog: Optional[DialogState] = None
    # the association id a lookup found no open dialog for (a resident's tap asks several times);
    # _UNSET: not looked up (or the association changed since, or a dialog ended)
    _no_dialog_for: Any = field(default=_UNSET, repr=False)

    # -- answering ----------------------------------------------------------------------
    def reply(self, *messages: Any) -> None:
        """Answer the user who acted (a free reply; a push only if the reply token is gone)."""
        for m in messages:
            self.replies.append(m if isinstance(m, dict) else m.to_dict())

    def push(self, user_ids: Iterable[str], messages: list[Any], purpose: str, priority: int = 0) -> int:
        """Queue a push/multicast in the outbox (same transaction). Returns rows written."""
        ids = list(dict.fromkeys(u for u in user_ids if u))
        if self.association is not None:  # through the channel the association's residents use
            return enqueue(self.session, self.association.id, ids, messages, purpose, priority, now=self.now)
        # nobody's association (a city staff member, a newcomer before the pick): the event's channel
        return enqueue(self.session, None, ids, messages, purpose, priority, now=self.now, channel_id=self.channel.id)

    # -- dialog state (in the database: gunicorn runs many workers) ---------------------
    def _mine(self):
        """The dialog rows of this user about this association (or about none yet: a newcomer on a
        city channel before the pick, a city staff member)."""
        aid = self.association.id if self.association is not None else None
        return select(DialogState).where(DialogState.line_user_id == self.user_id,
                                         DialogState.association_id == aid if aid is not None
                                         else DialogState.association_id.is_(None))

    @property
    def dialog(self) -> Optional[DialogState]:
        """The user's open dialog about this association. One LINE user on two associations'
        channels (one provider: one user id) has one in each, never going on in the other."""
        if self._dialog is None:
            aid = self.association.id if self.association is not None else None
            if self._no_dialog_for is not _UNSET and self._no_dialog_for == aid:
                return None
            params = {"uid": self.user_id} if aid is None else {"uid": self.user_id, "aid": aid}
            self._dialog = self.session.scalars(_open_dialog(aid is None), params).first()
            self._no_dialog_for = aid if self._dialog is None else _UNSET
        return self._dialog

    def start_dialog(self, flow: str, step: str, **data: Any) -> DialogState:
        d = self.dialog
        aid = self.association.id if self.association else None
        if d is None:
            d = DialogState(association_id=aid, line_user_id=self.user_id, flow=flow, step=step, data=data)
            self.session.add(d)
            self._dialog = d
        else:
            d.flow, d.step, d.data = flow, step, dict(data)
        return d

    def enter(self, association: Optional[Association], member: Optional[Member]) -> None:
        """The association this user is now talking about (picked on a city channel, or given up:
        None), kept with the open dialog so that the next event resolves to it (models/tenancy.py);
        a dialog the user had left about that association gives way to this one."""
        d = self.dialog
        self.association, self.member = association, member
        if d is not None:
            for old in self.session.scalars(self._mine()).all():
                if old is not d:
                    self.session.delete(old)
            self.session.flush()
            d.association_id = association.id if association else None

    def goto(self, step: str, **data: Any) -> None:
        d = self.dialog
        assert d is not None, "goto without a dialog"
        d.step = step
        if data:
            d.data = {**d.data, **data}

    def end_dialog(self) -> None:
        if self.dialog is not None:
            self.session.delete(self.dialog)
            self._dialog, self._no_dialog_for = None, _UNSET

    def audit(self, action: str, target: str | None = None, **detail: Any) -> None:
        if self.association is None:  # a city staff member's act: the city's own rows keep it (models/city.py)
            return
        record(self.session, self.association.id, self.member.id if self.member else None, action, target,
               at=self.now, **detail)

    def num(self, key: str) -> int:
        """An id from postback data; 0 for anything that is not a plain number (a forged button)."""
        value = self.data.get(key, "")
        return int(value) if value.isdigit() and len(value) < 12 else 0

    @property
    def is_member(self) -> bool:
        return self.member is not None and self.member.status == MemberStatus.active
