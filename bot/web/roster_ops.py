"""What the roster's pages share (bot/web/roster.py, roster_import.py): the board-only answer, which
households may not be removed, and removing one as 退会 does (audited)."""
from __future__ import annotations

from flask import g

from bot.web.auth import message
from handlers.messages import texts
from models import Channel, ChannelRef, Household, Member, MemberStatus, Role, utcnow
from models.audit import record
from models.erasure import erase_household
from models.roster import clear_join_failures
from models.tenancy import attempt_scope, channel_id_for


def board_only():
    return message(texts.ROSTER_BOARD_ONLY, 403, texts.NAV_ROSTER)


def protected(h: Household) -> str:
    """Why a household may not be removed here ('' if it may): the signed-in officer's own, or a chair's."""
    for m in h.members:
        if m.id == g.member.id:
            return texts.ROSTER_REMOVE_SELF
        if m.role == Role.chair and m.status != MemberStatus.withdrawn:
            return texts.ROSTER_REMOVE_CHAIR
    return ""


def forget_code_attempts(m: Member) -> None:
    """A city channel's count of the member's wrong 登録コード carries their LINE id: as 退会 does."""
    if not m.line_user_id:
        return
    cid = channel_id_for(g.db, m.association_id)
    channel = g.db.get(Channel, cid) if cid is not None else None
    ref = channel.ref() if channel is not None else ChannelRef.env(m.association_id)
    scope, _ = attempt_scope(g.db, ref, m.association_id)
    if scope is not None:
        clear_join_failures(g.db, scope, m.line_user_id)


def remove_household(h: Household, via: str) -> int:
    """Withdraw and erase its members as on 退会, delete the household; audited. Returns how many left."""
    aid = g.member.association_id
    members = [m for m in h.members if m.status != MemberStatus.withdrawn]
    for m in members:
        forget_code_attempts(m)
    target, block = f"household:{h.id}", h.block.name
    gone = erase_household(g.db, h, utcnow(), redacted=texts.WITHDRAWN_NAME)
    for mid in gone:
        record(g.db, aid, g.member.id, "member.erase", f"member:{mid}", via=via)
    record(g.db, aid, g.member.id, "household.remove", target, block=block, withdrawn=len(gone), via=via)
    return len(gone)
