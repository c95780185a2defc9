"""Following and blocking the bot, and what anyone says that nothing else took: someone not (yet) a
member is led to consent and registration (on a city channel, before an association is picked: the
picker's question again; a code-shaped text is a 登録コード); a member gets what they can do now
(handlers/framework/now.py: unread circulars, open events, with their buttons; never 退会), and a
city staff member their help."""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.now import open_items
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.limits import QUICK_REPLY_MAX_ITEMS
from models import MemberStatus
from models.richmenus import enqueue_relink

from .codes import join_by_code
from .common import PICKER_STEPS, consent_card, looks_like_code
from .join import REGISTER


@router.follow()
def on_follow(ctx: Ctx) -> None:
    m = ctx.member
    if m is not None and m.status == MemberStatus.unfollowed:
        m.status = MemberStatus.active if m.household_id else MemberStatus.pending
        enqueue_relink(ctx.session, m.association_id, [m.id])  # back: their menu again
    if m is not None and m.status == MemberStatus.active:
        ctx.reply(msg.text(texts.WELCOME_BACK))
    elif m is not None and m.status == MemberStatus.pending:
        ctx.reply(msg.text(texts.WAITING_APPROVAL))
    elif m is None and ctx.staff is not None:  # 市の担当者: no resident's registration for them
        ctx.reply(msg.text(texts.HELP_CITY_STAFF))
    else:
        ctx.reply(*consent_card(ctx))


@router.unfollow()
def on_unfollow(ctx: Ctx) -> None:
    # Blocking is not withdrawal: the member stays on the roster but gets no more pushes.
    if ctx.member is not None and ctx.member.status in (MemberStatus.active, MemberStatus.pending):
        ctx.member.status = MemberStatus.unfollowed
    ctx.end_dialog()


@router.message("text")
def fallback(ctx: Ctx) -> None:
    m = ctx.member
    if ctx.association is None and REGISTER.is_open(ctx, *PICKER_STEPS):
        REGISTER.ask(ctx, ctx.dialog.step)  # (a button of something else, tapped while picking)
    elif m is None and ctx.staff is not None:  # 市の担当者: what they can do, not a resident's consent
        ctx.reply(msg.text(texts.HELP_CITY_STAFF))
    elif looks_like_code(ctx) and (m is None or m.status != MemberStatus.active):
        REGISTER.go(ctx, join_by_code(ctx, ctx.text))  # 「6566-7981」 without 登録コード: a join code
    elif m is None or m.status in (MemberStatus.declined, MemberStatus.withdrawn):
        ctx.reply(*consent_card(ctx))
    elif m.status == MemberStatus.registering:
        REGISTER.start(ctx, "block")
    elif m.status == MemberStatus.pending:
        ctx.reply(msg.text(texts.WAITING_APPROVAL))
    else:
        help_now(ctx)


def help_now(ctx: Ctx) -> None:
    """The help, never 「退会」: what the member can do now (unread circulars, open events not
    answered) with their buttons, else what the bot is for (officers: their words). (An open safety
    check needs no line here: disaster mode hears every text first and answers with its card.)"""
    items = open_items(ctx.session, ctx.settings, ctx.member, ctx.now)
    general = texts.HELP_OFFICER if ctx.member.is_officer else texts.HELP_MEMBER
    if not items:
        ctx.reply(msg.text(general))
        return
    chips = [c for i in items for c in i.chips][:QUICK_REPLY_MAX_ITEMS]
    now = "\n".join([texts.HELP_NOW_HEAD] + [i.line for i in items])
    ctx.reply(msg.text(now + "\n\n" + texts.HELP_OFFICER if ctx.member.is_officer else now, chips))


router.serve_unscoped(events=["follow", "unfollow"], messages=["text"])

