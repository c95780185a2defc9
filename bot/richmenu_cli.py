"""`kairan richmenu deploy`: the rich menus of every channel created or updated on LINE (only what
changed: a content hash is kept with each menu), the resident menu as the default, and every
member linked to their role's menu with the bulk link endpoint (bot/richmenus.py)."""
from __future__ import annotations

import click
from sqlalchemy import select

from bot.channels import Directory
from bot.cli_base import Fail, load_settings
from bot.line.client import LineClients
from bot.richmenus import DeployError, deploy
from handlers.messages import menu_images
from models import Database
from models.migrate import upgrade
from models.roster import current_association
from models.tenancy import Channel, ChannelRef


@click.group()
def richmenu() -> None:
    """Rich menus (the buttons at the bottom of the chat)."""


@richmenu.command("deploy")
@click.option("--channel", "channel_id", type=int, help="only this channel (its id; default: every channel)")
def richmenu_deploy(channel_id: int | None) -> None:
    """Create or update the menus on LINE, set the default and link every member's menu."""
    if menu_images.find_font() is None:
        raise Fail(menu_images.FONT_FIX)
    settings = load_settings()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        clients = LineClients(settings, Directory(db, settings))
        with db.session() as s:
            targets = [(c.id, c.ref(), c.label) for c in s.scalars(select(Channel).order_by(Channel.id))
                       if channel_id is None or c.id == channel_id]
            if settings.env_channel and channel_id is None:
                assoc = current_association(s, settings.association_slug)
                targets.insert(0, (None, ChannelRef.env(assoc.id if assoc else None), "LINE_CHANNEL_*"))
        if not targets:
            raise Fail("no channel to deploy to" if channel_id is None else f"no channel {channel_id}")
        for cid, ref, label in targets:
            client = clients.get(cid)
            if client is None:
                raise Fail(f"channel {cid} ({label}): its secret cannot be read")
            try:
                done = deploy(db, client, cid, ref)
            except DeployError as e:
                raise Fail(f"{label}: {e}") from None
            click.echo(f"{label}: created {len(done.created)} ({', '.join(done.created) or '-'}), "
                       f"kept {len(done.kept)}, deleted {len(done.deleted)}, linked {done.linked} users")
    finally:
        db.dispose()
