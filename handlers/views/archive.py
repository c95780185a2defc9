"""回覧板: the latest circulars the member's household received, newest first, each with its read
state and [読みました] while unread; [もっと見る] pages back; the categories filter the list.

The postback is `pb("view", v="circulars")`, with `k` (a category key of models.circulars.CATEGORIES)
and `o` (how many newer ones to skip) on the buttons this view makes; anything else in them is stale.
Only the member's own household's receipts are read: no id in the data decides what is shown.
"""
from __future__ import annotations

from typing import Optional

from sqlalchemy import func, select

from handlers.circulars import who_read
from handlers.framework.ctx import Ctx
from handlers.messages import builders as msg, texts, views as cards
from handlers.messages import cards as msgcards
from handlers.messages.codec import pb
from models import Attachment, Circular, CircularState, Delivery, Target
from models.circulars import CATEGORIES, HERO_MAX_BYTES, HERO_TYPES

PAGE = 5  # circulars per carousel (+ the [もっと見る] bubble: within LINE's 12)
MAX_OFFSET = 1000  # 200 pages back: more than any household keeps


def data(category: Optional[str] = None, offset: int = 0) -> str:
    return pb("view", v="circulars", **({"k": category} if category else {}), **({"o": offset} if offset else {}))


def parse(ctx: Ctx) -> Optional[tuple[Optional[str], int]]:
    """(category or None, offset) from the tap, or None for values no button of ours carries."""
    category = ctx.data.get("k")
    if category is not None and category not in CATEGORIES:
        return None
    raw = ctx.data.get("o", "0")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and int(raw) <= MAX_OFFSET):
        return None
    return category, int(raw)


def received(ctx: Ctx, category: Optional[str], offset: int) -> list[tuple[Circular, Delivery]]:
    """One page (and one more row, to know whether older ones exist) of the household's circulars."""
    hid, aid = ctx.member.household_id, ctx.association.id
    if hid is None:
        return []
    q = (select(Circular, Delivery).join(Delivery, Delivery.circular_id == Circular.id)
         .where(Circular.association_id == aid, Delivery.association_id == aid, Delivery.household_id == hid,
                Delivery.person_key == 0, Circular.state == CircularState.sent))
    if not ctx.member.is_officer:  # 役員のみ: the officer's family shares the receipt but was not sent it
        q = q.where(Circular.target != Target.officers)
    if category is not None:
        q = q.where(Circular.category == category)
    q = q.order_by(Circular.sent_at.desc(), Circular.id.desc()).offset(offset).limit(PAGE + 1)
    return [(c, d) for c, d in ctx.session.execute(q).all()]


def attachment_counts(ctx: Ctx, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = ctx.session.execute(select(Attachment.circular_id, func.count(Attachment.id))
                               .where(Attachment.circular_id.in_(ids)).group_by(Attachment.circular_id))
    return dict(rows.all())


def hero_tokens(ctx: Ctx, ids: list[int]) -> dict[int, str]:
    """{circular id: the image token of its first photo} — the cards' heroes, without loading the photos."""
    rows = ctx.session.execute(select(Attachment.circular_id, Attachment.image_token).where(
        Attachment.circular_id.in_(ids), Attachment.kind == "image", Attachment.content_type.in_(HERO_TYPES),
        Attachment.image_token.is_not(None), func.length(Attachment.data) <= HERO_MAX_BYTES).order_by(
        Attachment.id)).all()
    out: dict[int, str] = {}
    for circular_id, token in rows:
        out.setdefault(circular_id, token)
    return out


def category_chips(category: Optional[str]) -> list:
    chips = [msg.postback(texts.CIRCULAR_CATEGORIES[k], data(k)) for k in CATEGORIES if k != category]
    return ([msg.postback(texts.VIEW_ALL_CATEGORIES, data())] if category else []) + chips


def show(ctx: Ctx) -> None:
    parsed = parse(ctx)
    if parsed is None:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    category, offset = parsed
    rows = received(ctx, category, offset)
    name = texts.CIRCULAR_CATEGORIES.get(category or "", "")
    if not rows:
        empty = texts.VIEW_CIRCULARS_NO_MORE if offset else (
            texts.VIEW_CIRCULARS_NONE_CATEGORY.format(category=name) if category else texts.VIEW_CIRCULARS_NONE)
        ctx.reply(msg.text(empty, category_chips(category)))
        return
    more = data(category, offset + PAGE) if len(rows) > PAGE else None
    rows = rows[:PAGE]
    counts = attachment_counts(ctx, [c.id for c, _ in rows])
    heroes = hero_tokens(ctx, [c.id for c, _ in rows])
    items = []
    for c, d in rows:
        read = None
        if d.read_at is not None:
            who, when = who_read(ctx, d)
            read = texts.VIEW_READ.format(who=who, when=when)
        items.append(cards.ArchiveItem(id=c.id, title=c.title, body=c.body, sent_at=c.sent_at,
                                       attachments=counts.get(c.id, 0), read=read,
                                       hero=msgcards.hero_url(ctx.settings.base_url, heroes.get(c.id))))
    head = (texts.VIEW_CIRCULARS_OLDER.format(start=offset + 1) if offset else
            texts.VIEW_CIRCULARS_HEAD_CATEGORY.format(category=name, n=len(items)) if category else
            texts.VIEW_CIRCULARS_HEAD.format(n=len(items)))
    quick = ([msg.postback(texts.VIEW_MORE, more)] if more else []) + category_chips(category)
    ctx.reply(msg.text(head), cards.archive(ctx.association.name, items, ctx.settings.timezone, more, quick))
