"""見守り (/admin/mimamori): the watched residents of the signed-in officer — today's state (元気
9:12 / お返事待ち / 連絡中：班長 / 連絡がとれました), the last 30 days as a row of marks, the open
escalations first — printable (the layout's print style: A4, no navigation) and phone-sized; and
the proxy enrolment (代わりに申し込む) with the resident's consent, by the chair or a 班長 for their
own 班.

Who sees whom (handlers.mimamori.common.sees): the chair every enrolled resident; a 班長 those of
their 班 who put the 班長 on their ladder; an officer who is someone's 見守り家族 that person. The
民生委員 (Role.welfare) and family members outside the association get the chat's messages and
the 「見守り」 view; the dashboard's sign-in is the officers'. Another association's ids answer 404.
"""
from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.state import kairan
from bot.web.auth import bp, login_required, not_found
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.mimamori.common import WHO, ladder_words, sees
from handlers.mimamori.enrol import may_proxy, write_enrolment
from handlers.mimamori.status import DAYS_SHOWN, is_open, marks, today_words
from models import Member, MemberStatus, Role, quota as line_quota, utcnow
from models.audit import record
from models.messaging import enqueue
from models.mimamori import DAYS, HOURS, MimamoriEnrolment, days_in_month, enrolment_of, history, local_day, today_check

ORDER = {"unreachable": 0, "escalated": 1, "visiting": 2, "waiting": 3}


def _rows(now, tz: str) -> list[dict]:
    today = local_day(now, tz)
    since = today.fromordinal(today.toordinal() - DAYS_SHOWN + 1)
    enrolments = g.db.scalars(select(MimamoriEnrolment).where(
        MimamoriEnrolment.association_id == g.member.association_id, MimamoriEnrolment.active.is_(True))
        .order_by(MimamoriEnrolment.id)).all()
    rows = []
    for e in enrolments:
        if not sees(g.db, e, g.member):
            continue
        c = today_check(g.db, e, now, tz)
        m = e.member
        block = m.household.block if m.household is not None else m.block
        rows.append({"id": e.id, "name": m.name or "", "block": block.name if block else "",
                     "support": bool(m.household is not None and m.household.needs_support),
                     "today": today_words(e, c, now, tz), "open": is_open(c),
                     "order": ORDER.get(c.status, 9) if c is not None else 9,
                     "marks": marks(e, history(g.db, e.id, since), today),
                     "plan": f"{texts.MM_HOUR.format(hour=e.hour)} {texts.MM_DAYS.get(e.days, '')}",
                     "ladder": ladder_words(e.watch_leader, e.watch_welfare), "days": e.days})
    return sorted(rows, key=lambda r: (r["order"], r["block"], r["name"]))


def _proxy_choices() -> list[Member]:
    """Who the signed-in officer may enrol for: active members not enrolled (a 班長: own 班)."""
    if g.member.role not in (Role.chair, Role.block_leader):
        return []
    members = g.db.scalars(select(Member).where(
        Member.association_id == g.member.association_id, Member.status == MemberStatus.active,
        Member.line_user_id.is_not(None), Member.id != g.member.id).order_by(Member.id)).all()
    enrolled = set(g.db.scalars(select(MimamoriEnrolment.member_id).where(
        MimamoriEnrolment.association_id == g.member.association_id, MimamoriEnrolment.active.is_(True))))
    return [m for m in members if m.id not in enrolled and may_proxy(g.member, m)]


@bp.get("/mimamori")
@login_required
def mimamori():
    k = kairan()
    tz, now = k.settings.timezone, utcnow()
    rows = _rows(now, tz)
    fig = line_quota.figure(g.db, None, now, association_id=g.member.association_id, tz=tz)
    cost = None
    if g.member.role == Role.chair:
        pushes = sum(days_in_month(r["days"], now, tz) for r in rows)
        limit = fig.limit if fig is not None and fig.limit is not None else None
        cost = texts.MM_PAGE_COST.format(pushes=pushes, limit=texts.MM_REMAINING.format(n=limit)
                                         if limit is not None else texts.MM_PAGE_LIMIT_UNKNOWN)
    note = {"done": texts.MM_PROXY_DONE, "consent": texts.MM_PROXY_NEED_CONSENT,
            "exists": texts.MM_PROXY_EXISTS}.get(request.args.get("note", ""), "")
    return render_template("mimamori.html", rows=rows, cost=cost, note=note, choices=_proxy_choices(),
                           hours=HOURS, days=texts.MM_DAYS, who=texts.MM_WHO)


@bp.post("/mimamori/enrol")
@login_required
def mimamori_enrol():
    """代わりに申し込む: with the resident's consent (ticked), recorded as given through this officer."""
    raw = request.form.get("member", "")
    member = g.db.get(Member, int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if member is None or member.association_id != g.member.association_id or not may_proxy(g.member, member):
        return not_found()
    hour, days, who = request.form.get("hour", ""), request.form.get("days", ""), request.form.get("who", "")
    if not hour.isdigit() or int(hour) not in HOURS or days not in DAYS or who not in WHO:
        return not_found()
    if request.form.get("consent") != "1":
        return redirect(url_for("admin.mimamori", note="consent"), 303)
    e = enrolment_of(g.db, member.id)
    if e is not None and e.active:
        return redirect(url_for("admin.mimamori", note="exists"), 303)
    now = utcnow()
    e = write_enrolment(g.db, member, int(hour), days, who, now, by_id=g.member.id)
    record(g.db, g.member.association_id, g.member.id, "mimamori.proxy", f"member:{member.id}", at=now,
           hour=e.hour, days=e.days, who=who)
    enqueue(g.db, member.association_id, [member.line_user_id], [msg.card(
        texts.MM_TITLE, texts.MM_PROXY_TOLD.format(by=g.member.name or "", hour=e.hour, days=texts.MM_DAYS[days]),
        [msg.postback(texts.MM_LEAVE, pb("mm_leave", e=e.id))])], f"mimamori:proxy:{e.id}", now=now)
    return redirect(url_for("admin.mimamori", note="done"), 303)
