"""LINE登録の案内 (join sheets): one A4 page per household — the association's add-friend QR code,
the household's 登録コード, three lines of instructions — for a whole 班 (`?b=`) or one household
(`?h=`); and reissuing a household's code (the old one stops working at once).

The QR code encodes `Channel.friend_url` of the channel the association's residents use (its own,
else its municipality's: models.tenancy.channel_id_for), drawn by segno as inline SVG (the CSP
allows no scripts and images from 'self' only). Without a link (the environment's channel, or a
channel without one) the page tells the officer how to set it (`kairan channel friend-url`) and
the sheets say to ask an officer.
"""
from __future__ import annotations

from typing import Optional

import segno
from flask import g, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from bot.web.auth import ID, bp, household_in_scope, id_arg, login_required, not_found
from bot.web.paper_scope import association, chosen_block
from handlers.messages import texts
from models import Block, Channel, Household
from models.audit import record
from models.households import registered_counts
from models.roster import new_join_code
from models.tenancy import channel_id_for


def friend_url(association_id: int) -> Optional[str]:
    cid = channel_id_for(g.db, association_id)
    return g.db.get(Channel, cid).friend_url if cid is not None else None


def qr_svg(url: str) -> Markup:
    """The add-friend QR code as an inline <svg> (segno; error correction M, as LINE's own codes)."""
    return Markup(segno.make_qr(url, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff",
                                                           title=texts.JOIN_CODE, svgclass="qr"))




@bp.get("/join-sheets")
@login_required
def join_sheet():
    one = request.args.get("h") is not None
    if one:
        h = household_in_scope(id_arg("h"))
        if h is None or request.args.get("b") is not None:
            return not_found()
        block, households = h.block, [h]
    else:
        block = chosen_block()
        if block is None and (g.block_id is not None or request.args.get("b") is not None):
            return not_found()
        if block is None:  # the board, no 班 chosen yet: the 班 to pick
            blocks = list(g.db.scalars(select(Block).where(Block.association_id == g.member.association_id)
                                       .order_by(Block.position, Block.id)))
            return render_template("paper/join_pick.html", blocks=blocks)
        households = list(g.db.scalars(select(Household).where(
            Household.association_id == g.member.association_id, Household.block_id == block.id)
            .order_by(Household.id)))
        if request.args.get("only") == "new":  # the households nobody has registered on LINE yet
            registered = registered_counts(g.db, g.member.association_id)
            households = [h for h in households if not registered.get(h.id)]
    url = friend_url(g.member.association_id)
    return render_template("paper/join.html", block=block, households=households, one=one, url=url,
                           qr=qr_svg(url) if url else None, association=association())


@bp.route(f"/join-sheets/<{ID}:household_id>/reissue", methods=["GET", "POST"])
@login_required
def join_sheet_reissue(household_id: int):
    h = household_in_scope(household_id)
    if h is None:
        return not_found()
    if request.method == "POST":
        old, h.join_code = h.join_code, new_join_code(g.db)
        # the codes themselves stay out of the log (a live code is a key to the household): their ends only
        record(g.db, g.member.association_id, g.member.id, "household.join_code", f"household:{h.id}",
               before={"join_code": "…" + old[-4:]}, after={"join_code": "…" + h.join_code[-4:]})
        return redirect(url_for("admin.join_sheet_reissue", household_id=h.id, done=1), 303)
    return render_template("paper/reissue.html", h=h, done=request.args.get("done") == "1")
