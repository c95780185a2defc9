"""What every send to many households shares (circulars, events; used by DraftFlow): the quota
check before it, the paper lists after it, the own-班 rule of block leaders, and the reminder
vocabulary of the preview."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Callable

from handlers.messages import builders as msg, texts
from models import Household, Member, Role, Target, quota as line_quota
from models.roster import officers_for_block
from models.tenancy import quota_key

from .ctx import Ctx


def quota(ctx: Ctx, max_age: dt.timedelta = line_quota.TTL, ask_line: bool = True) -> tuple[int | None, int | None]:
    """(monthly limit, used) as every process sees it: LINE's figure shared in the database,
    plus what kairan sent or queued since it was read. (None, None) when unknown or unlimited.
    With ask_line=False the stored figure is used whatever its age (no LINE call)."""
    fig = line_quota.figure(ctx.session, ctx.line if ask_line else None, ctx.now, max_age=max_age,
                            association_id=ctx.association.id, tz=ctx.settings.timezone,
                            channel=quota_key(ctx.channel.id))
    if fig is None or fig.limit is None:
        return None, None
    return fig.limit, fig.used


def within_quota(ctx: Ctx, pushes: int, send_anyway: str, cancel: str) -> bool:
    """Ask again (with [それでも送信]) before a send that needs more messages than this month has
    left, keeping the reserve for urgent messages. Decides on LINE's figure as read just before
    this transaction opened (the [送信] buttons are declared with needs_quota, bot/inbox.py
    refreshes the shared figure first): the preview may be old, or shown by another process; LINE
    itself is never called while the transaction is open."""
    limit, used = quota(ctx, ask_line=False)
    reserve = max(0, ctx.settings.urgent_quota_reserve)
    if limit is None or used is None or pushes <= limit - used - reserve:
        return True
    body = texts.QUOTA_OVER.format(remaining=max(0, limit - used), pushes=pushes)
    if reserve:
        body += "\n" + texts.QUOTA_RESERVE_NOTE.format(reserve=reserve)
    ctx.reply(msg.card(texts.QUOTA_OVER_TITLE, body,
                       [msg.postback(texts.SEND_ANYWAY, send_anyway), msg.postback(texts.CANCEL, cancel)]))
    return False


def notify_paper(ctx: Ctx, paper: list[Household], text: Callable[[str, str], str], purpose: str) -> None:
    """Tell each 班's block leader (or the sender, where a 班 has none) which households get it on
    paper. `text(block name, list of names)` words the message."""
    by_block: dict[int, list[Household]] = {}
    for h in paper:
        by_block.setdefault(h.block_id, []).append(h)
    for block_id, households in by_block.items():
        leaders = [m for m in officers_for_block(ctx.session, ctx.association.id, block_id) if m.role == Role.block_leader]
        names = "\n".join(texts.PAPER_LIST_LINE.format(household=h.name) for h in households)
        ctx.push([m.line_user_id for m in leaders] or [ctx.member.line_user_id],
                 [msg.text(text(households[0].block.name, names))], purpose=f"{purpose}:{block_id}")


def outside_own_block(member: Member, target: Target, block_ids: list | None) -> bool:
    """A block leader sends to their own 班 only: anything else is refused at [送信]."""
    return member.role == Role.block_leader and (target != Target.blocks or block_ids != [member.led_block_id])


# --- reminders: one vocabulary (回覧: days after the send; 出欠: days before the deadline) ----------
REMINDER_DAYS = (1, 2, 3, 7)  # the preview's quick replies


def parse_reminder(text: str) -> list[int] | None:
    """「リマインド: 3日後」 → [3]; 「リマインド: 2日後と5日後」 → [2, 5]; 「リマインド なし」 → []."""
    t = unicodedata.normalize("NFKC", text)
    if not t.startswith(texts.CMD_REMINDER):
        return None
    if any(w in t for w in texts.REMINDER_OFF_WORDS):
        return []
    days = sorted({int(n) for n in re.findall(r"\d+", t) if 0 < int(n) <= 30})
    return days[:3] or None
