"""通報, the resident's side: category → photos → place → comment → (nearby same reports) → confirm.

Started by the menu's `pb("view", v="report")` (the views table calls `start(ctx)`) or the word
「通報」. The draft is a `Report` row (status `draft`) from the category on; the dialog's state
keeps its id. Photos are only noted here (`ReportPhoto` pending): scheduler/reports.py downloads
and re-encodes them. A draft left unfinished is deleted after a day (scheduler.reports.purge_drafts).

```mermaid
stateDiagram-v2
    [*] --> category
    category --> photos
    photos --> location
    photos --> [*]
    location --> comment
    location --> [*]
    comment --> nearby
    comment --> confirm
    comment --> [*]
    nearby --> [*]
    confirm --> [*]
    category --> photos: rp_cat
    photos --> location: rp_next
    photos --> [*]: rp_next
    comment --> nearby: rp_nocom
    comment --> confirm: rp_nocom
    comment --> [*]: rp_nocom
    nearby --> [*]: rp_same
    nearby --> confirm: rp_other
    nearby --> [*]: rp_other
    nearby --> [*]: rp_send
    confirm --> [*]: rp_send
    category --> [*]: rp_stop
    photos --> [*]: rp_stop
    location --> [*]: rp_stop
    comment --> [*]: rp_stop
    nearby --> [*]: rp_stop
    confirm --> [*]: rp_stop
```
"""
from __future__ import annotations

import logging
from typing import Optional
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Go, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from models import Municipality, Report, ReportFollower, ReportPhoto, ReportUpdate
from models.reports import (
    MAX_ADDRESS,
    MAX_COMMENT,
    MAX_PHOTOS,
    OPEN_STATUSES,
    categories_for,
    delete_drafts,
    distance_m,
    nearby_open,
    next_seq,
)
from handlers.reports.common import over_limit, tell_officers

log = logging.getLogger(__name__)
FLOW = "report"

SEQ_TRIES = 5
CATEGORY_MAX = Report.__table__.c.category.type.length  # a city's own long names are cut to fit


# --- helpers -------------------------------------------------------------------------------------
def _categories(ctx: Ctx) -> tuple[str, ...]:
    a = ctx.association
    muni = ctx.session.get(Municipality, a.municipality_id) if a.municipality_id else None
    return categories_for(a, muni, texts.REPORT_CATEGORIES)


def _draft(ctx: Ctx) -> Optional[Report]:
    """The draft of the open dialog (None, answered, if it is gone: purged, or erased)."""
    rid = (ctx.dialog.data or {}).get("report_id") if DIALOG.is_open(ctx) else None
    r = ctx.session.get(Report, rid) if rid else None
    if r is None or r.association_id != ctx.association.id or r.status != "draft" \
            or ctx.member is None or r.member_id != ctx.member.id:
        ctx.reply(msg.text(texts.RPT_GONE))
        return None
    return r


def _stop() -> msg.PostbackAction:
    return msg.postback(texts.RPT_CANCEL, pb("rp_stop"))


def _photo_count(ctx: Ctx, r: Report) -> int:
    return ctx.session.scalar(select(func.count(ReportPhoto.id)).where(ReportPhoto.report_id == r.id)) or 0


# --- the questions -------------------------------------------------------------------------------
def ask_category(ctx: Ctx) -> None:
    cats = _categories(ctx)[:12]
    ctx.reply(msg.text(texts.RPT_ASK_CATEGORY,
                       [msg.postback(c, pb("rp_cat", c=i)) for i, c in enumerate(cats)] + [_stop()]))


def _photo_quick(n: int) -> list:
    return [msg.postback(texts.RPT_NEXT if n else texts.RPT_NO_PHOTO, pb("rp_next")), _stop()]


def ask_photos(ctx: Ctx) -> None:
    r = _draft(ctx)
    if r is not None:
        ctx.reply(msg.text(texts.RPT_ASK_PHOTOS.format(category=r.category, max=MAX_PHOTOS), _photo_quick(0)))


def _location_quick() -> list:
    return [msg.location(texts.RPT_SEND_LOCATION), _stop()]


def ask_location(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.RPT_ASK_LOCATION, _location_quick()))


def _comment_quick() -> list:
    return [msg.postback(texts.RPT_NO_COMMENT, pb("rp_nocom")), _stop()]


def ask_comment(ctx: Ctx) -> None:
    ctx.reply(msg.text(texts.RPT_ASK_COMMENT.format(max=MAX_COMMENT), _comment_quick()))


def _nearby(ctx: Ctx, r: Report) -> list[Report]:
    if r.latitude is None or r.longitude is None:
        return []
    return nearby_open(ctx.session, ctx.association.id, r.category, r.latitude, r.longitude, exclude_id=r.id)


def ask_nearby(ctx: Ctx) -> None:
    r = _draft(ctx)
    if r is None:
        return
    near = _nearby(ctx, r)
    if not near:  # closed meanwhile: straight to the confirm
        return ask_confirm(ctx)
    o = near[0]
    metres = max(1, round(distance_m(r.latitude, r.longitude, o.latitude, o.longitude)))
    ctx.reply(msg.card(texts.RPT_NEARBY_TITLE,
                       texts.RPT_NEARBY_BODY.format(number=o.number, category=o.category, metres=metres),
                       [msg.postback(texts.RPT_SAME, pb("rp_same", r=o.id)),
                        msg.postback(texts.RPT_OTHER, pb("rp_other")), _stop()]))


def ask_confirm(ctx: Ctx) -> None:
    r = _draft(ctx)
    if r is None:
        return
    if r.latitude is not None:
        place = texts.RPT_PLACE_MAP.format(address=r.address) if r.address else texts.RPT_PLACE_MAP_ONLY
    else:
        place = r.address or texts.RPT_NONE
    body = texts.RPT_CONFIRM_BODY.format(category=r.category, photos=_photo_count(ctx, r), place=place,
                                         comment=r.comment or texts.RPT_NONE)
    ctx.reply(msg.card(texts.RPT_CONFIRM_TITLE, body,
                       [msg.postback(texts.RPT_SEND, pb("rp_send", r=r.id)), _stop()]))


# --- the steps and taps --------------------------------------------------------------------------
def start(ctx: Ctx) -> None:
    """Start a 通報 (the menu's 通報 button, the word 「通報」): the category question."""
    if not ctx.is_member:
        ctx.reply(msg.text(texts.RPT_NOT_MEMBER))
        return
    if DIALOG.is_open(ctx):  # started again: the earlier draft goes
        _discard(ctx)
    if over_limit(ctx):
        if DIALOG.is_open(ctx):
            ctx.end_dialog()
        return
    DIALOG.start(ctx, "category")


@router.command(texts.CMD_REPORT)
def on_word(ctx: Ctx) -> None:
    start(ctx)


def on_category_typed(ctx: Ctx) -> Next:
    """A category typed as its button says: as the tap; anything else: the question again."""
    cats = _categories(ctx)
    if ctx.event.message.type == "text" and ctx.text in cats:
        ctx.data = {"c": str(cats.index(ctx.text))}
        return on_category(ctx)
    ask_category(ctx)
    return None


def on_category(ctx: Ctx) -> Next:
    cats = _categories(ctx)
    i = ctx.data.get("c", "")
    if not ctx.is_member or not i.isdigit() or int(i) >= len(cats):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    rid = (ctx.dialog.data or {}).get("report_id")
    r = ctx.session.get(Report, rid) if rid else None
    if r is None or r.status != "draft" or r.association_id != ctx.association.id:
        block_id = ctx.member.household.block_id if ctx.member.household is not None else ctx.member.block_id
        r = Report(association_id=ctx.association.id, member_id=ctx.member.id, block_id=block_id,
                   status="draft", created_at=ctx.now, updated_at=ctx.now)
        ctx.session.add(r)
    r.category = cats[int(i)][:CATEGORY_MAX]
    ctx.session.flush()
    return Go("photos", report_id=r.id)


def on_photo(ctx: Ctx) -> Next:
    r = _draft(ctx)
    if r is None:
        return END
    m = ctx.event.message
    if m.type != "image":
        ctx.reply(msg.text(texts.RPT_PHOTO_ONLY, _photo_quick(_photo_count(ctx, r))))
        return None
    n = _photo_count(ctx, r)
    if n < MAX_PHOTOS and ctx.session.scalar(select(ReportPhoto.id).where(
            ReportPhoto.line_message_id == m.id[:64])) is None:
        ctx.session.add(ReportPhoto(report_id=r.id, line_message_id=m.id[:64], status="pending",
                                    next_try_at=ctx.now, at=ctx.now))
        ctx.session.flush()
        n += 1
    r.updated_at = ctx.now
    if n >= MAX_PHOTOS:
        ctx.reply(msg.text(texts.RPT_PHOTO_FULL.format(n=MAX_PHOTOS)))
        return "location"
    ctx.reply(msg.text(texts.RPT_PHOTO_TAKEN.format(n=n), _photo_quick(n)))
    return None


def on_next(ctx: Ctx) -> Next:
    return "location" if _draft(ctx) is not None else END


def on_location(ctx: Ctx) -> Next:
    r = _draft(ctx)
    if r is None:
        return END
    m = ctx.event.message
    if m.type == "location":
        r.latitude, r.longitude = float(m.latitude), float(m.longitude)
        where = (m.address or m.title or "").strip()
        r.address = where[:MAX_ADDRESS] or None
    elif m.type == "text" and ctx.text:
        r.latitude = r.longitude = None
        r.address = ctx.text[:MAX_ADDRESS]
    else:
        ctx.reply(msg.text(texts.RPT_LOCATION_ONLY, _location_quick()))
        return None
    r.updated_at = ctx.now
    return "comment"


def _after_comment(ctx: Ctx, r: Report) -> Next:
    r.updated_at = ctx.now
    ctx.session.flush()
    return "nearby" if _nearby(ctx, r) else "confirm"


def on_comment(ctx: Ctx) -> Next:
    r = _draft(ctx)
    if r is None:
        return END
    if ctx.event.message.type != "text" or not ctx.text:
        ctx.reply(msg.text(texts.RPT_COMMENT_ONLY, _comment_quick()))
        return None
    r.comment = ctx.text[:MAX_COMMENT]
    return _after_comment(ctx, r)


def on_no_comment(ctx: Ctx) -> Next:
    r = _draft(ctx)
    if r is None:
        return END
    r.comment = None
    return _after_comment(ctx, r)


def on_wait(ctx: Ctx) -> Next:
    """A message at a step that waits for a tap: the question again."""
    if _draft(ctx) is None:
        return END
    DIALOG.ask(ctx, ctx.dialog.step)
    return None


def on_same(ctx: Ctx) -> Next:
    """[同じものです（賛同）]: the member follows that report (+1); the draft goes."""
    r = _draft(ctx)
    if r is None:
        return END
    o = ctx.session.get(Report, ctx.num("r"))
    if o is None or o.association_id != ctx.association.id or o.status not in OPEN_STATUSES:
        ctx.reply(msg.text(texts.RPT_NOT_FOUND))
        return None
    number = o.number
    delete_drafts(ctx.session, Report.id == r.id)
    already = ctx.session.scalar(select(ReportFollower.id).where(ReportFollower.report_id == o.id,
                                                                 ReportFollower.member_id == ctx.member.id))
    if already:
        ctx.reply(msg.text(texts.RPT_PLUS1_ALREADY.format(number=number)))
        return END
    ctx.session.add(ReportFollower(report_id=o.id, member_id=ctx.member.id, kind="plus1", at=ctx.now))
    ctx.audit("report.plus1", f"report:{o.id}")
    ctx.reply(msg.text(texts.RPT_PLUS1_DONE.format(number=number)))
    return END


def on_other(ctx: Ctx) -> Next:
    return "confirm" if _draft(ctx) is not None else END


def _receipt_quick(r: Report) -> list:
    return [msg.postback(texts.RPT_WITHDRAW, pb("rp_wd", r=r.id)), msg.postback(texts.RPT_MINE, pb("rp_mine"))]


def on_send(ctx: Ctx) -> Next:
    """[通報する]: the number, the history's first row, the reporter follows, officers are told."""
    r = _draft(ctx)
    if r is None:
        return END
    if str(r.id) != ctx.data.get("r"):
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return None
    if over_limit(ctx):
        delete_drafts(ctx.session, Report.id == r.id)
        return END
    year = ctx.now.astimezone(ZoneInfo(ctx.settings.timezone)).year
    for attempt in range(SEQ_TRIES):  # another report of the association got the number meanwhile: the next
        try:
            with ctx.session.begin_nested():
                r.year, r.seq = year, next_seq(ctx.session, ctx.association.id, year)
                ctx.session.flush()
            break
        except IntegrityError:
            if attempt == SEQ_TRIES - 1:
                raise
    r.status, r.submitted_at, r.updated_at = "received", ctx.now, ctx.now
    ctx.session.add(ReportUpdate(report_id=r.id, status="received", public=True, by_member_id=ctx.member.id,
                                 at=ctx.now))
    ctx.session.add(ReportFollower(report_id=r.id, member_id=ctx.member.id, kind="reporter", at=ctx.now))
    ctx.session.flush()
    ctx.audit("report.submit", f"report:{r.id}", number=r.number, category=r.category)
    tell_officers(ctx, r, texts.RPT_OFFICER_NEW, f"report:{r.id}:new")
    ctx.reply(msg.text(texts.RPT_RECEIVED.format(number=r.number, category=r.category), _receipt_quick(r)))
    return END


def _discard(ctx: Ctx) -> None:
    rid = (ctx.dialog.data or {}).get("report_id") if ctx.dialog is not None else None
    if rid and ctx.association is not None:
        delete_drafts(ctx.session, Report.id == rid, Report.association_id == ctx.association.id)


def on_cancel(ctx: Ctx) -> None:
    """「取消」 at any step: the draft and its photos go."""
    _discard(ctx)


def on_stop(ctx: Ctx) -> Next:
    """[やめる] at any step: as 「取消」."""
    _discard(ctx)
    ctx.reply(msg.text(texts.CANCELLED))
    return END


_ALL = ("category", "photos", "location", "comment", "nearby", "confirm")
DIALOG = Dialog(FLOW, entries=("category",), steps=[
    Step("category", take=on_category_typed, to=("photos",), buttons_only=True, ask=ask_category),
    Step("photos", take=on_photo, ask=ask_photos, to=("location", END), buttons_only=True),
    Step("location", take=on_location, ask=ask_location, to=("comment", END), takes_location=True),
    Step("comment", take=on_comment, ask=ask_comment, to=("nearby", "confirm", END)),
    Step("nearby", take=on_wait, ask=ask_nearby, to=(END,), buttons_only=True),
    Step("confirm", take=on_wait, ask=ask_confirm, to=(END,), buttons_only=True),
], buttons=[
    Button("rp_cat", take=on_category, to=("photos",), at=("category",)),
    Button("rp_next", take=on_next, to=("location", END), at=("photos",)),
    Button("rp_nocom", take=on_no_comment, to=("nearby", "confirm", END), at=("comment",)),
    Button("rp_same", take=on_same, to=(END,), at=("nearby",)),
    Button("rp_other", take=on_other, to=("confirm", END), at=("nearby",)),
    Button("rp_send", take=on_send, to=(END,), at=("nearby", "confirm")),  # (nearby: closed meanwhile)
    Button("rp_stop", take=on_stop, to=(END,), at=_ALL),
], on_cancel=on_cancel)
