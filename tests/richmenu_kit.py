"""What the rich-menu tests share (a helper module, not a test module): deploying to the fake
LINE, reading who is linked to which menu, and draining the outbox past its backoffs."""
import datetime as dt

import time_machine
from sqlalchemy import func, select

import bot.outbox as outbox
from bot.richmenus import deploy
from models import Association, OutboxMessage
from models.richmenus import KIND, deployed
from models.tenancy import ChannelRef

LINK_PATHS = ("/richmenu/bulk/link", "/richmenu/bulk/unlink")


def deploy_env(db, line_client):
    with db.session() as s:
        aid = s.scalar(select(Association.id).order_by(Association.id).limit(1))
    return deploy(db, line_client, None, ChannelRef.env(aid))


def menu_ids(db, channel_id=None) -> dict[str, str]:
    """key -> LINE richMenuId of the channel's deployed menus."""
    with db.session() as s:
        return {k: m.line_menu_id for k, m in deployed(s, channel_id).items()}


def link_calls(fake, after: int = 0) -> list:
    """The link and unlink requests LINE answered (bulk and single), after request seq `after`."""
    return [r for r in fake.requests if r.seq > after and r.status in (200, 202) and (
        r.path.endswith(LINK_PATHS) or ("/v2/bot/user/" in r.path and "/richmenu" in r.path
                                        and "/user/all/" not in r.path and r.method in ("POST", "DELETE")))]


def linked_users(fake, after: int = 0) -> dict[str, str | None]:
    """user id -> the menu id the link calls after `after` gave them (None: unlinked)."""
    out: dict[str, str | None] = {}
    for r in link_calls(fake, after):
        if r.path.endswith("/bulk/link"):
            out.update({u: r.body["richMenuId"] for u in r.body["userIds"]})
        elif r.path.endswith("/bulk/unlink"):
            out.update({u: None for u in r.body["userIds"]})
        elif r.method == "DELETE":
            out[r.path.split("/")[4]] = None
        else:
            out[r.path.split("/")[4]] = r.path.split("/")[6]
    return out


def last_seq(fake) -> int:
    return fake.requests[-1].seq if fake.requests else 0


def relink_rows(db) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == KIND).order_by(OutboxMessage.id)))


def run_until_done(db, line_client, rounds=30):
    """Dispatch, moving the clock past every backoff, until the outbox is settled."""
    start = dt.datetime.now(dt.timezone.utc)
    for i in range(rounds):
        with time_machine.travel(start + dt.timedelta(seconds=700 * i), tick=False):
            outbox.dispatch_once(db, line_client, limit=100)
        with db.session() as s:
            if not s.scalar(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.status.in_(("pending", "sending")))):
                return i
    raise AssertionError("outbox never settled")
