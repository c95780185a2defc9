"""自動開始 (/admin/jma): the association's rule for starting disaster mode from JMA's telegrams —
the municipality codes, the threshold, tsunami and 特別警報, start at once or ask first — and what
the telegrams did so far. The chair and the 防災担当 (the roles that start disaster mode) only;
the chat's 「自動開始」 changes the mode and the threshold with buttons (handlers/jma/chat.py).

A municipality's rule (the city tier, `kairan jma rule --municipality`) is shown until the
association saves its own: saving copies it into the association's rule (models/jma.own_rule).
Every change is in the audit log with before and after.
"""
from __future__ import annotations

import re
import unicodedata

from flask import g, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.state import kairan
from bot.web.auth import bp, login_required, message
from handlers.messages import dates, texts
from handlers.safety.common import STARTERS
from models import Association, utcnow
from models.audit import record
from models.jma import INTENSITIES, MODES, RULE_FIELDS, JmaStart, own_rule, rule_for

THRESHOLDS = INTENSITIES[3:]  # 震度4 and up
LIMITS = {"city_codes": (7, 20), "quake_areas": (3, 20), "tsunami_areas": (3, 40)}  # digits, how many
HISTORY = 20


def _codes(field: str) -> tuple[str, str | None]:
    """A list of codes typed any way (full-width digits, 、 or spaces between) as "a,b,c"; an error."""
    digits, most = LIMITS[field]
    raw = unicodedata.normalize("NFKC", request.form.get(field, ""))
    items = [c for c in re.split(r"[\s,、]+", raw) if c]  # after NFKC: ，→,
    if any(not re.fullmatch(rf"\d{{{digits}}}", c) for c in items):
        return "", texts.JMA_PAGE_BAD_CODES if field == "city_codes" else texts.JMA_PAGE_BAD_AREAS
    if len(items) > most:
        return "", texts.JMA_PAGE_TOO_MANY.format(n=most)
    return ",".join(dict.fromkeys(items)), None


def _read_form() -> tuple[dict, str | None]:
    values, error = {}, None
    for field in LIMITS:
        values[field], bad = _codes(field)
        error = error or bad
    values["min_intensity"] = request.form.get("min_intensity", "")
    values["mode"] = request.form.get("mode", "")
    if values["min_intensity"] not in THRESHOLDS or values["mode"] not in MODES:
        error = error or texts.JMA_PAGE_BAD_CHOICE
    minutes = unicodedata.normalize("NFKC", request.form.get("ask_minutes", "")).strip()
    values["ask_minutes"] = int(minutes) if minutes.isdigit() and 1 <= int(minutes) <= 120 else None
    if values["ask_minutes"] is None:
        error = error or texts.JMA_PAGE_BAD_MINUTES
    for flag in ("quake", "tsunami", "special"):
        values[flag] = request.form.get(flag) == "1"
    return values, error


@bp.route("/jma", methods=["GET", "POST"])
@login_required
def jma_rule():
    if g.member.role not in STARTERS:
        return message(texts.JMA_PAGE_ONLY, 403, texts.NAV_JMA)
    association = g.db.get(Association, g.member.association_id)
    rule = rule_for(g.db, association)
    error, shown = None, None
    if request.method == "POST":
        values, error = _read_form()
        if error is None:
            own = own_rule(g.db, association, create=True)
            g.db.flush()
            before = {f: getattr(own, f) for f in RULE_FIELDS}
            changed = {f: v for f, v in values.items() if before.get(f) != v}
            for f, v in changed.items():
                setattr(own, f, v)
            own.updated_at = utcnow()
            g.db.flush()
            if changed:
                record(g.db, association.id, g.member.id, "jma.rule", f"jma-rule:{own.id}",
                       before={f: before[f] for f in changed}, after=changed, via="dashboard")
            return redirect(url_for("admin.jma_rule", saved=1), 303)
        shown = values
    tz = kairan().settings.timezone
    starts = g.db.scalars(select(JmaStart).where(JmaStart.association_id == association.id)
                          .order_by(JmaStart.created_at.desc(), JmaStart.id.desc()).limit(HISTORY)).all()
    history = [{"at": dates.short(st.created_at, tz), "what": st.what, "state": texts.JMA_START_STATES.get(st.state, st.state)}
               for st in starts]
    form = shown or ({f: getattr(rule, f) for f in RULE_FIELDS} if rule is not None else None)
    return render_template("admin_jma.html", rule=rule, form=form, error=error,
                           city=rule is not None and rule.association_id != association.id,
                           saved=request.args.get("saved") == "1" and error is None, history=history,
                           thresholds=[(v, texts.JMA_INTENSITY[v]) for v in THRESHOLDS],
                           modes=[(m, texts.JMA_MODE[m].format(minutes=(form or {}).get("ask_minutes") or 10))
                                  for m in MODES]), 400 if error else 200
