"""見守り: a resident opts in from the chat (the 「見守り」 view: 登録内容 → [見守り]) — hour, days,
who is told after the family — sees the monthly cost and the notice, and agrees (the consent is
recorded with the notice's version); family members join by the resident's code
(「見守り家族 12345678」); [時間・曜日を変える] goes through the same questions and keeps the code and
the family; leaving is one tap. A member of the same household may enrol another on LINE for them
([家族の分を申し込む], with the resident's consent, which they confirm; the resident is told, and the
one who enrolled them becomes their first 見守り家族); the chair and a 班長 may on the dashboard
(bot/web/mimamori_page.py).

```mermaid
stateDiagram-v2
    [*] --> hour
    hour --> hour
    days --> days
    who --> who
    confirm --> confirm
    [*] --> hour: mm_new
    [*] --> hour: mm_change
    [*] --> hour: mm_for
    hour --> days: mm_hour
    days --> who: mm_days
    who --> confirm: mm_who
    confirm --> [*]: mm_agree
```
"""
from __future__ import annotations

import unicodedata

from sqlalchemy import select

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Step
from handlers.framework.router import router
from handlers.framework.sending import quota
from handlers.messages import builders as msg, texts
from handlers.messages import dates
from handlers.messages.codec import pb
from handlers.views.common import registration
from models import Member, MemberStatus, Role
from models.roster import clear_join_failures, join_code_pause, record_join_failure
from models.tenancy import attempt_scope
from models.mimamori import (
    DAYS,
    HOURS,
    POLICY_VERSION,
    RETENTION,
    MimamoriEnrolment,
    MimamoriWatcher,
    days_in_month,
    enrolment_of,
    new_code,
    today_check,
)

from .common import PAGE, WHO, home_block_id, ladder_words, sees

STAY = None


def _ask_hour(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.MM_ASK_HOUR, [msg.postback(texts.MM_HOUR.format(hour=h), pb("mm_hour", h=h))
                                           for h in HOURS] + [msg.say(texts.CANCEL)]))


def _ask_days(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.MM_ASK_DAYS, [msg.postback(label, pb("mm_days", d=key))
                                           for key, label in texts.MM_DAYS.items()] + [msg.say(texts.CANCEL)]))


def _ask_who(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.MM_ASK_WHO, [msg.postback(label, pb("mm_who", w=key))
                                          for key, label in texts.MM_WHO.items()] + [msg.say(texts.CANCEL)]))


def preview(ctx: Ctx, hour: int, days: str, who: str) -> str:
    """The confirm's words, with what it costs a month on this association's plan."""
    limit, used = quota(ctx)
    remaining = texts.MM_REMAINING.format(n=max(0, limit - used)) if limit is not None else texts.MM_REMAINING_UNKNOWN
    return texts.MM_CONFIRM.format(hour=hour, days=texts.MM_DAYS[days], ladder=ladder_words(*WHO[who]),
                                   pushes=days_in_month(days, ctx.now, ctx.settings.timezone),
                                   remaining=remaining, retention=RETENTION.days)


def _ask_confirm(ctx: Ctx) -> None:
    d = ctx.dialog.data
    target = ctx.session.get(Member, d["for_id"]) if d.get("for_id") else None
    if target is not None:  # for a family member: they confirm the resident agreed
        ctx.reply(msg.card(texts.MM_CONFIRM_TITLE, texts.MM_FOR_WHOM.format(name=target.name or "") + "\n"
                           + preview(ctx, d["hour"], d["days"], d["who"]),
                           [msg.postback(texts.MM_AGREE_FOR, pb("mm_agree")), msg.say(texts.CANCEL)],
                           note=texts.MM_CONFIRM_NOTE_FOR))
        return
    ctx.reply(msg.card(texts.MM_CONFIRM_TITLE, preview(ctx, d["hour"], d["days"], d["who"]),
                       [msg.postback(texts.MM_AGREE, pb("mm_agree")), msg.say(texts.CANCEL)],
                       note=texts.MM_CONFIRM_NOTE))


def _retap(ctx: Ctx):
    """Typed text at a step that waits for a tap: the question again."""
    return ctx.dialog.step


def _start(ctx: Ctx):
    if not ctx.is_member:
        registration(ctx)
        return None
    e = enrolment_of(ctx.session, ctx.member.id)
    if e is not None and e.active:
        ctx.reply(msg.text(texts.MM_ALREADY))
        return None
    return "hour"


def _change(ctx: Ctx):
    """[時間・曜日を変える]: the same questions; the enrolment (its code, its family) stays."""
    if not ctx.is_member:
        registration(ctx)
        return None
    e = enrolment_of(ctx.session, ctx.member.id)
    if e is None or not e.active:
        ctx.reply(msg.text(texts.MM_NOT_ENROLLED))
        return None
    return Go("hour", change=True)


def family_choices(ctx: Ctx) -> list:
    """The other members of this member's household on LINE who are not enrolled."""
    h = ctx.member.household if ctx.is_member else None
    if h is None:
        return []
    out = []
    for m in h.active_members:
        e = enrolment_of(ctx.session, m.id) if m.id != ctx.member.id and m.line_user_id else None
        if m.id != ctx.member.id and m.line_user_id and (e is None or not e.active):
            out.append(m)
    return out


def _for(ctx: Ctx):
    """[家族の分を申し込む]: which family member (a button each), then the same questions."""
    if not ctx.is_member:
        registration(ctx)
        return None
    choices = family_choices(ctx)
    if not ctx.data.get("m"):
        if not choices:
            ctx.reply(msg.text(texts.MM_FOR_NONE))
            return None
        ctx.reply(msg.text(texts.MM_FOR_WHO, [msg.postback(texts.MM_FOR_NAME.format(name=(m.name or "")[:16]),
                                                            pb("mm_for", m=m.id)) for m in choices[:12]]
                           + [msg.say(texts.CANCEL)]))
        return None
    target = next((m for m in choices if m.id == ctx.num("m")), None)
    if target is None:
        ctx.reply(msg.text(texts.MM_NOT_YOURS))
        return None
    return Go("hour", for_id=target.id)


def _choice(key: str, allowed, field: str, then: str, number: bool = False):
    """A tap of the step's buttons: the value (postback `key`) if it is one of `allowed`, kept as
    `field` for the next step `then`; a forged one is stale and the step waits."""
    def take(ctx: Ctx):
        v = ctx.num(key) if number else ctx.data.get(key, "")
        if v not in allowed:
            ctx.reply(msg.text(texts.STALE_BUTTON))
            return STAY
        return Go(then, **{field: v})
    return take


_hour = _choice("h", HOURS, "hour", "days", number=True)
_days = _choice("d", DAYS, "days", "who")
_who = _choice("w", WHO, "who", "confirm")


def write_enrolment(session, member, hour: int, days: str, who: str, now, by_id=None) -> MimamoriEnrolment:
    e = enrolment_of(session, member.id)
    leader, welfare = WHO[who]
    if e is None:
        e = MimamoriEnrolment(association_id=member.association_id, member_id=member.id, code=new_code(session))
        session.add(e)
    e.hour, e.days, e.watch_leader, e.watch_welfare = hour, days, leader, welfare
    e.consent_at, e.consent_policy_version, e.consent_by_id = now, POLICY_VERSION, by_id
    e.active, e.left_at, e.purge_after = True, None, None
    if by_id is None:
        e.last_seen_at = now  # they are tapping right now
    session.flush()
    return e


def _agree(ctx: Ctx):
    d = ctx.dialog.data
    if not ctx.is_member or not {"hour", "days", "who"} <= set(d):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return END
    if d.get("for_id"):
        return _agree_for(ctx, d)
    before = enrolment_of(ctx.session, ctx.member.id)
    changed = bool(d.get("change")) and before is not None and before.active
    e = write_enrolment(ctx.session, ctx.member, d["hour"], d["days"], d["who"], ctx.now)
    ctx.audit("mimamori.change" if changed else "mimamori.enrol", f"member:{ctx.member.id}", hour=e.hour,
              days=e.days, who=d["who"], policy=POLICY_VERSION)
    ctx.reply(msg.text(texts.MM_CHANGED.format(hour=e.hour, days=texts.MM_DAYS[e.days]) if changed
                       else texts.MM_STARTED.format(code=e.code)))
    return END


def _agree_for(ctx: Ctx, d: dict):
    """A family member's enrolment of another member of their household: recorded as given through
    them (consent_by); the resident is told, with [見守りをやめる]; the one who enrolled them is their
    first 見守り家族."""
    target = next((m for m in family_choices(ctx) if m.id == d["for_id"]), None)
    if target is None:  # left the household, or enrolled meanwhile
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return END
    e = write_enrolment(ctx.session, target, d["hour"], d["days"], d["who"], ctx.now, by_id=ctx.member.id)
    if not any(w.line_user_id == ctx.user_id for w in e.watchers):
        e.watchers.append(MimamoriWatcher(association_id=e.association_id, line_user_id=ctx.user_id, joined_at=ctx.now))
    ctx.session.flush()
    ctx.audit("mimamori.proxy", f"member:{target.id}", hour=e.hour, days=e.days, who=d["who"], policy=POLICY_VERSION,
              by="family")
    ctx.push([target.line_user_id], [msg.card(texts.MM_TITLE, texts.MM_PROXY_TOLD.format(
        by=ctx.member.name or "", hour=e.hour, days=texts.MM_DAYS[e.days]),
        [msg.postback(texts.MM_LEAVE, pb("mm_leave", e=e.id))])], purpose=f"mimamori:proxy:{e.id}")
    ctx.reply(msg.text(texts.MM_FOR_DONE.format(name=target.name or "", code=e.code)))
    return END


MIMAMORI = Dialog("mimamori", steps=[
    Step("hour", take=_retap, ask=_ask_hour, to=("hour",), buttons_only=True),
    Step("days", take=_retap, ask=_ask_days, to=("days",), buttons_only=True),
    Step("who", take=_retap, ask=_ask_who, to=("who",), buttons_only=True),
    Step("confirm", take=_retap, ask=_ask_confirm, to=("confirm",), buttons_only=True),
], buttons=[
    Button("mm_new", take=_start, to=("hour",), opens=True),
    Button("mm_change", take=_change, to=("hour",), opens=True),
    Button("mm_for", take=_for, to=("hour",), opens=True),
    Button("mm_hour", take=_hour, to=("days",), at=("hour",)),
    Button("mm_days", take=_days, to=("who",), at=("days",)),
    Button("mm_who", take=_who, to=("confirm",), at=("who",)),
    Button("mm_agree", take=_agree, to=(END,), at=("confirm",)),
])


# --- the view (登録内容 → [見守り]) --------------------------------------------------------------
def watched_lines(ctx: Ctx) -> list[str]:
    """The residents this member watches, with today's state (the page's words)."""
    from .status import today_words  # the page and the chat word a state alike

    rows = ctx.session.scalars(select(MimamoriEnrolment).where(
        MimamoriEnrolment.association_id == ctx.association.id, MimamoriEnrolment.active.is_(True))
        .order_by(MimamoriEnrolment.id)).all()
    out = []
    for e in rows:
        if e.member_id != ctx.member.id and sees(ctx.session, e, ctx.member):
            c = today_check(ctx.session, e, ctx.now, ctx.settings.timezone)
            out.append(texts.MM_WATCH_LINE.format(name=e.member.name or "",
                                                  state=today_words(e, c, ctx.now, ctx.settings.timezone)))
    return out


def show(ctx: Ctx) -> None:
    e = enrolment_of(ctx.session, ctx.member.id)
    lines, actions = [], []
    if e is not None and e.active:
        lines.append(texts.MM_STATUS.format(hour=e.hour, days=texts.MM_DAYS.get(e.days, ""), code=e.code,
                                            ladder=ladder_words(e.watch_leader, e.watch_welfare),
                                            family=len(e.watchers)))
        actions += [msg.postback(texts.MM_CHANGE, pb("mm_change")), msg.postback(texts.MM_LEAVE, pb("mm_leave", e=e.id))]
    else:
        lines.append(texts.MM_INTRO)
        actions.append(msg.postback(texts.MM_START, pb("mm_new")))
    if family_choices(ctx):
        actions.append(msg.postback(texts.MM_FOR, pb("mm_for")))
    watched = watched_lines(ctx)
    if watched:
        lines += ["", texts.MM_WATCHING] + watched
    if watched and ctx.member.is_officer and ctx.links is not None:
        url = ctx.links.sign_in(ctx.session, ctx.member, ctx.now, next_path=PAGE.rstrip("/"))
        ctx.reply(msg.card(texts.MM_TITLE, "\n".join(lines), actions),
                  msg.link(texts.MM_PAGE_LINK, texts.MM_PAGE_INTRO, texts.OPEN_PAGE, url))
        return
    ctx.reply(msg.card(texts.MM_TITLE, "\n".join(lines), actions))


@router.postback("mm_leave")
def on_leave(ctx: Ctx) -> None:
    """One tap: the checks stop now, the history goes after RETENTION (the nightly purge)."""
    e = ctx.session.get(MimamoriEnrolment, ctx.num("e"))
    if e is None or not ctx.is_member or e.member_id != ctx.member.id or e.association_id != ctx.association.id:
        return ctx.reply(msg.text(texts.MM_NOT_YOURS))
    if not e.active:
        return ctx.reply(msg.text(texts.MM_NOT_ENROLLED))
    e.active, e.left_at, e.purge_after = False, ctx.now, ctx.now + RETENTION
    ctx.audit("mimamori.leave", f"member:{ctx.member.id}")
    ctx.reply(msg.text(texts.MM_LEFT.format(days=RETENTION.days), [msg.postback(texts.MM_START, pb("mm_new"))]))


# --- family members (in or outside the association) ------------------------------------------------
@router.command(texts.CMD_MIMAMORI_FAMILY)
def on_family(ctx: Ctx) -> None:
    """「見守り家族 12345678」: the LINE user becomes a watcher of the resident with that code, among
    the associations of this channel (a code of another channel's association is not found here).
    Only their LINE id is kept.

    A watcher learns that someone lives alone and when they last answered: wrong codes count with
    the 登録コード's (models/roster.py: per LINE user and per channel, then a pause), and the
    resident is told at once, with [取り消す] for a family member they do not know."""
    scope, among = attempt_scope(ctx.session, ctx.channel, ctx.association.id if ctx.association else None)
    if scope is None:
        return ctx.reply(msg.text(texts.MM_FAMILY_BAD_CODE))
    paused = join_code_pause(ctx.session, scope, ctx.user_id, ctx.now)
    if paused is not None:
        return ctx.reply(msg.text(texts.JOIN_CODE_PAUSED.format(
            until=dates.clock(paused, ctx.settings.timezone, ctx.now))))
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", ctx.text) if ch.isdigit())
    e = ctx.session.scalar(select(MimamoriEnrolment).where(
        MimamoriEnrolment.code == digits, MimamoriEnrolment.association_id.in_(among),
        MimamoriEnrolment.active.is_(True))) if digits else None
    if e is None:
        failure = record_join_failure(ctx.session, scope, ctx.user_id, ctx.now)
        ctx.audit("mimamori.family_code_wrong", None)
        return ctx.reply(msg.text(texts.JOIN_CODE_PAUSED.format(
            until=dates.clock(failure.until, ctx.settings.timezone, ctx.now))
            if failure.until else texts.MM_FAMILY_BAD_CODE))
    clear_join_failures(ctx.session, scope, ctx.user_id)
    if e.member.line_user_id == ctx.user_id:
        return ctx.reply(msg.text(texts.MM_FAMILY_SELF))
    w = next((w for w in e.watchers if w.line_user_id == ctx.user_id), None)
    if w is not None:
        return ctx.reply(msg.text(texts.MM_FAMILY_ALREADY, [msg.postback(texts.MM_FAMILY_LEAVE, pb("mm_unwatch", w=w.id))]))
    w = MimamoriWatcher(association_id=e.association_id, line_user_id=ctx.user_id, joined_at=ctx.now)
    e.watchers.append(w)
    ctx.session.flush()
    ctx.audit("mimamori.family", f"member:{e.member_id}", watcher=w.id)
    if e.member.status == MemberStatus.active and e.member.line_user_id:
        ctx.push([e.member.line_user_id], [msg.text(texts.MM_FAMILY_TOLD,
                                                    [msg.postback(texts.MM_FAMILY_DROP, pb("mm_drop", w=w.id))])],
                 purpose=f"mimamori:family:{w.id}")
    ctx.reply(msg.text(texts.MM_FAMILY_JOINED.format(name=e.member.name or ""),
                       [msg.postback(texts.MM_FAMILY_LEAVE, pb("mm_unwatch", w=w.id))]))


def _watcher_here(ctx: Ctx, watcher_id) -> MimamoriWatcher | None:
    """The watcher row, if it belongs to an association this channel serves."""
    w = ctx.session.get(MimamoriWatcher, watcher_id) if watcher_id is not None else None
    if w is None:
        return None
    _, among = attempt_scope(ctx.session, ctx.channel, ctx.association.id if ctx.association else None)
    return w if w.association_id in among else None


@router.postback("mm_unwatch")
def on_unwatch(ctx: Ctx) -> None:
    w = _watcher_here(ctx, ctx.num("w"))
    if w is None or w.line_user_id != ctx.user_id:
        return ctx.reply(msg.text(texts.MM_NOT_YOURS))
    ctx.audit("mimamori.family_leave", f"member:{w.enrolment.member_id}", watcher=w.id)
    ctx.session.delete(w)
    ctx.reply(msg.text(texts.MM_FAMILY_LEFT))


@router.postback("mm_drop")
def on_drop(ctx: Ctx) -> None:
    """The resident removes a family watcher they did not expect (the push after a code was used)."""
    w = _watcher_here(ctx, ctx.num("w"))
    if w is None:
        return ctx.reply(msg.text(texts.MM_FAMILY_GONE))
    if ctx.member is None or w.enrolment.member_id != ctx.member.id:
        return ctx.reply(msg.text(texts.MM_NOT_YOURS))
    ctx.audit("mimamori.family_drop", f"member:{w.enrolment.member_id}", watcher=w.id)
    ctx.session.delete(w)
    ctx.reply(msg.text(texts.MM_FAMILY_DROPPED))


def may_proxy(officer, member) -> bool:
    """The chair for anyone of the association; a 班長 for the residents of their own 班."""
    if officer.association_id != member.association_id or member.status != MemberStatus.active:
        return False
    if officer.role == Role.chair:
        return True
    return officer.role == Role.block_leader and officer.led_block_id is not None \
        and officer.led_block_id == home_block_id(member)
