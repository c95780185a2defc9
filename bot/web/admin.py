"""Officers' web pages under /admin: the home (latest circulars with read rates) and one circular's
readers. Sign-in, the session and the role check are bot/web/auth.py; events are admin_events.py."""
from __future__ import annotations

from flask import g, render_template

from bot.state import kairan
from bot.web.auth import ID, LIST_LIMIT, UNREAD_SHOWN, bp, login_required, not_found
from handlers.messages import dates
from handlers.messages.labels import target_label
from models import Circular, CircularState
from models.circulars import target_block_names
from models.stats import read_stats, recent_circulars


def _rate(read: int, total: int) -> int:
    return round(100 * read / total) if total else 0


@bp.get("/")
@login_required
def index():
    tz = kairan().settings.timezone
    rows = []
    for c in recent_circulars(g.db, g.member.association_id, limit=LIST_LIMIT):
        st = read_stats(g.db, c, g.block_id)
        if g.block_id is not None and st.total == 0:
            continue  # not delivered in this block leader's 班
        rows.append({"c": c, "st": st, "date": dates.date(c.sent_at, tz),
                     "blocks": [{"b": b, "rate": _rate(b.read, b.total)} for b in st.blocks]})
    return render_template("admin_index.html", rows=rows, limit=LIST_LIMIT)


@bp.get(f"/circulars/<{ID}:circular_id>")
@login_required
def circular(circular_id: int):
    c = g.db.get(Circular, circular_id)
    if c is None or c.association_id != g.member.association_id or c.state != CircularState.sent:
        return not_found()
    st = read_stats(g.db, c, g.block_id)
    if g.block_id is not None and st.total == 0:
        return not_found()  # a block leader sees circulars of their own 班 only
    blocks = [{"b": b, "rate": _rate(b.read, b.total)} for b in st.blocks]
    unread = [{"h": h, "block": h.block.name, "paper": h.id in st.unread_paper} for h in st.unread[:UNREAD_SHOWN]]
    return render_template("admin_circular.html", c=c, st=st, blocks=blocks, unread=unread,
                           more=max(0, len(st.unread) - UNREAD_SHOWN),
                           date=dates.date(c.sent_at, kairan().settings.timezone),
                           target=target_label(c.target, target_block_names(g.db, c)))
