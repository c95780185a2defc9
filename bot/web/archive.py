"""The circular archive (回覧の一覧): every circular this association sent, newest first, with its
read rate; a block leader sees those delivered in their 班. One circular's page (its unread
households) is `admin.circular` in bot/web/admin.py."""
from __future__ import annotations

from flask import g, render_template

from bot.state import kairan
from bot.web.admin import _rate
from bot.web.auth import LIST_LIMIT, bp, login_required
from handlers.messages import dates
from models.stats import read_stats, recent_circulars


@bp.get("/archive")
@login_required
def archive():
    tz = kairan().settings.timezone
    rows = []
    for c in recent_circulars(g.db, g.member.association_id, limit=LIST_LIMIT):
        st = read_stats(g.db, c, g.block_id)
        if g.block_id is not None and st.total == 0:
            continue  # not delivered in this block leader's 班
        rows.append({"c": c, "st": st, "date": dates.date(c.sent_at, tz),
                     "blocks": [{"b": b, "rate": _rate(b.read, b.total)} for b in st.blocks]})
    return render_template("admin_archive.html", rows=rows, limit=LIST_LIMIT)
