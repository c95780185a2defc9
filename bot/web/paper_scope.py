"""What the paper pages share (bot/web/paper.py, paper_join.py): the 班 a request is about, checked
against the signed-in officer (a block leader's own 班 only), and the officer's association."""
from __future__ import annotations

from typing import Optional

from flask import g, request

from bot.web.auth import id_arg
from models import Association, Block


def chosen_block() -> Optional[Block]:
    """The 班 of the request: a block leader's own (`?b=` may only name it), the board's `?b=`.
    None: no such 班 here (the caller answers 404) — or, for the board, none chosen."""
    asked = id_arg("b")
    if request.args.get("b") is not None and asked is None:
        return None
    if g.block_id is not None:
        if asked is not None and asked != g.block_id:
            return None
        asked = g.block_id
    if asked is None:
        return None
    b = g.db.get(Block, asked)
    return b if b is not None and b.association_id == g.member.association_id else None


def association() -> Association:
    return g.db.get(Association, g.member.association_id)
