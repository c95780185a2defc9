"""Officers' web pages under /admin: the home (the disaster now, what waits for this officer, the
latest circulars and events with their rates) and one circular's readers. Sign-in, the session
and the role check are bot/web/auth.py; the navigation bar bot/web/nav.py; events admin_events.py."""
from __future__ import annotations

from flask import current_app, g, render_template, request, url_for
from sqlalchemy import func, select

from bot.state import kairan
from bot.web.auth import ID, LIST_LIMIT, UNREAD_SHOWN, bp, login_required, not_found
from handlers.messages import dates, texts
from handlers.messages.labels import target_label
from models import Circular, CircularState, Member, MemberStatus, OutboxMessage
from models.events import ANSWERS, recent_events, results
from models.households import needs_check_count
from models.outage import outage_since
from models.circulars import target_block_names
from models.stats import read_stats, recent_circulars


def _rate(read: int, total: int) -> int:
    return round(100 * read / total) if total else 0


HOME_SHOWN = 5  # the latest circulars and events on the home page (all of them: the archive, 行事の出欠)


def _waiting(member) -> list[dict]:
    """What waits for this officer, most urgent first: each a sentence and the page that settles it."""
    aid, block_id = member.association_id, g.block_id
    pending = g.db.scalar(select(func.count()).select_from(Member).where(
        Member.association_id == aid, Member.status == MemberStatus.pending,
        *([Member.block_id == block_id] if block_id is not None else [])))
    items = []
    if outage_since(g.db, aid) is not None:  # noticed by the scheduler (models/outage.py)
        items.append((texts.HOME_LINE_DOWN, "admin.prints"))  # 連絡網 of each 班 on the prints page
    if pending:
        items.append((texts.HOME_PENDING.format(n=pending), "admin.approvals"))
    if member.is_board:  # sends are the board's to watch (a block leader's pushes are the association's)
        for status, words in (("failed", texts.HOME_FAILED), ("held", texts.HOME_HELD)):
            n = g.db.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.association_id == aid, OutboxMessage.status == status))
            if n:
                items.append((words.format(n=n), None))
    unchecked = needs_check_count(g.db, aid, block_id)
    if unchecked:
        items.append((texts.HOME_NEEDS_CHECK.format(n=unchecked), "admin.needs_check"))
    return [{"text": t, "url": url_for(e) if e and e in current_app.view_functions else None} for t, e in items]


@bp.get("/")
@login_required
def index():
    tz = kairan().settings.timezone
    aid = g.member.association_id
    circulars = []
    for c in recent_circulars(g.db, aid, limit=LIST_LIMIT):
        st = read_stats(g.db, c, g.block_id)
        if g.block_id is not None and st.total == 0:
            continue  # not delivered in this block leader's 班
        circulars.append({"c": c, "st": st, "date": dates.date(c.sent_at, tz),
                          "blocks": [{"b": b, "rate": _rate(b.read, b.total)} for b in st.blocks]})
        if len(circulars) == HOME_SHOWN:
            break
    events = []
    for ev in recent_events(g.db, aid, limit=HOME_SHOWN):
        res = results(g.db, ev, g.block_id)
        if g.block_id is not None and res.total == 0:
            continue
        answered = sum(res.counts[a] for a in ANSWERS)
        events.append({"e": ev, "answered": answered, "total": res.total, "rate": _rate(answered, res.total),
                       "deadline": dates.date(ev.deadline, tz) if ev.deadline else ""})
    return render_template("admin_index.html", rows=circulars, events=events, waiting=_waiting(g.member),
                           archive="admin.archive" in current_app.view_functions)


@bp.get(f"/circulars/<{ID}:circular_id>")
@login_required
def circular(circular_id: int):
    """One circular: read rate per 班, the unread households, the full text, its attachments (served
    behind the sign-in: admin.circular_attachment), its corrections with the original."""
    from handlers.corrections import may_correct, paper_households
    from models.corrections import history

    c = g.db.get(Circular, circular_id)
    if c is None or c.association_id != g.member.association_id or c.state != CircularState.sent:
        return not_found()
    st = read_stats(g.db, c, g.block_id)
    if g.block_id is not None and st.total == 0:
        return not_found()  # a block leader sees circulars of their own 班 only
    tz = kairan().settings.timezone
    blocks = [{"b": b, "rate": _rate(b.read, b.total)} for b in st.blocks]
    unread = [{"h": h, "block": h.block.name, "paper": h.id in st.unread_paper} for h in st.unread[:UNREAD_SHOWN]]
    fixes = [{"r": r, "date": dates.date(r.at, tz)} for r in history(g.db, c.association_id, "circular", c.id)]
    return render_template("admin_circular.html", c=c, st=st, blocks=blocks, unread=unread,
                           more=max(0, len(st.unread) - UNREAD_SHOWN), date=dates.date(c.sent_at, tz),
                           target=target_label(c.target, target_block_names(g.db, c)),
                           category=texts.CIRCULAR_CATEGORIES.get(c.category, ""), fixes=fixes,
                           may_correct=may_correct(g.member, c), saved=request.args.get("saved") == "1",
                           paper=paper_households(g.db, "circular", c, g.block_id) if fixes else [])
