"""Rich menus at the process edge: relinks sent from the outbox, and the deploy (`kairan richmenu
deploy`, bot/richmenu_cli.py). The menus themselves are handlers/messages/menus.py; which menu a
member gets is models/richmenus.py, asked when a relink is sent (not when it was queued)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select, update

from bot.line.client import LineClient, SendResult
from handlers.messages import menu_images
from handlers.messages.menus import MENUS
from models import Database, Member, MemberStatus, OutboxMessage, RichMenu
from models.richmenus import BULK_MAX, DEFAULT_KEY, deployed, key_for, plan_links
from models.safety import active_disaster
from models.tenancy import ChannelRef, served_association_ids

log = logging.getLogger(__name__)


def send_relink(db: Database, line: LineClient, row, read_timeout: float | None = None) -> SendResult:
    """An outbox row of kind "richmenu": link each user to the menu the database gives them now
    (bulk for several, single for one), unlink those with none. The first failure is the row's
    result: it is retried whole (linking again is harmless)."""
    with db.session() as s:
        menus = {k: m.line_menu_id for k, m in deployed(s, row.channel_id).items()}
        plan = plan_links(s, row.association_id, list(row.recipients))
    last = SendResult(ok=True, status=200)
    kw = {"read_timeout": read_timeout} if read_timeout is not None else {}
    for key, users in sorted(plan.items(), key=lambda kv: kv[0] or ""):
        menu_id = menus.get(key) if key is not None else None
        for i in range(0, len(users), BULK_MAX):
            chunk = users[i:i + BULK_MAX]
            result = line.link_rich_menu(chunk, menu_id, **kw) if menu_id else line.unlink_rich_menu(chunk, **kw)
            if not result.ok:
                return result
            last = result
    if None in plan:  # someone who left (退会): once unlinked, the row keeps no LINE id of theirs
        with db.session() as s:
            s.execute(update(OutboxMessage).where(OutboxMessage.id == row.id).values(
                recipients=[u for u in row.recipients if u not in set(plan[None])]))
    return last


class DeployError(RuntimeError):
    """The deploy stopped; the message is the one line to show."""


@dataclass
class Deployed:
    created: list[str] = field(default_factory=list)  # keys created (or recreated) on LINE
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # LINE ids of replaced menus
    linked: int = 0  # users linked


def _ok(result: SendResult, what: str) -> SendResult:
    if not result.ok:
        raise DeployError(f"LINE refused {what}: HTTP {result.status} {(result.error or '')[:200]}")
    return result


def deploy(db: Database, line: LineClient, channel_id: int | None, ref: ChannelRef | None = None) -> Deployed:
    """Create what is new or changed (same content hash: kept), set the default, delete what was
    replaced, then link every active member of the channel's associations to their menu."""
    font = menu_images.find_font()
    if font is None:
        raise DeployError(menu_images.FONT_FIX)
    done = Deployed()
    with db.session() as s:
        have = {k: (m.line_menu_id, m.content_hash) for k, m in deployed(s, channel_id).items()}
    live = line.rich_menu_ids()
    ids: dict[str, str] = {}
    for key, menu in MENUS.items():
        digest = menu.content_hash(font.name)
        old = have.get(key)
        if old and old[1] == digest and (live is None or old[0] in live):
            ids[key] = old[0]
            done.kept.append(key)
            continue
        created = _ok(line.create_rich_menu(menu.body()), f"the {key} menu")
        new_id = created.data.rich_menu_id
        image = menu_images.draw(menu, font)
        _ok(line.upload_rich_menu_image(new_id, image, menu_images.content_type(image)), f"the {key} menu's image")
        with db.session() as s:
            row = deployed(s, channel_id).get(key)
            if row is None:
                s.add(RichMenu(channel_id=channel_id, key=key, line_menu_id=new_id, content_hash=digest))
            else:
                row.line_menu_id, row.content_hash = new_id, digest
        ids[key] = new_id
        done.created.append(key)
    default_changed = DEFAULT_KEY in done.created
    if default_changed or not done.kept:
        _ok(line.set_default_rich_menu(ids[DEFAULT_KEY]), "the default menu")
    done.linked = _link_everyone(db, line, channel_id, ref, ids)
    for key in done.created:  # the replaced menus go once nobody is linked to them
        old = have.get(key)
        if old and old[0] != ids[key] and (live is None or old[0] in live):
            if line.delete_rich_menu(old[0]).ok:
                done.deleted.append(old[0])
    return done


def _link_everyone(db: Database, line: LineClient, channel_id, ref, ids: dict[str, str]) -> int:
    """Bulk link (≤500 a call) every active member of the channel to their menu (at every
    deploy: a bulk link can fail silently for some users, LINE says; linking again repairs it)."""
    with db.session() as s:
        if ref is None:
            ref = ChannelRef.env()
        association_ids = served_association_ids(s, ref)
        plan: dict[str, list[str]] = {}
        disaster = {a: active_disaster(s, a) is not None for a in association_ids}
        for m in s.scalars(select(Member).where(Member.association_id.in_(association_ids),
                                                Member.status == MemberStatus.active,
                                                Member.line_user_id.is_not(None)).order_by(Member.id)):
            plan.setdefault(key_for(m.role, disaster[m.association_id]), []).append(m.line_user_id)
    linked = 0
    for key, users in plan.items():
        users = sorted(set(users))
        for i in range(0, len(users), BULK_MAX):
            _ok(line.link_rich_menu(users[i:i + BULK_MAX], ids[key]), f"linking the {key} menu")
            linked += len(users[i:i + BULK_MAX])
    return linked
