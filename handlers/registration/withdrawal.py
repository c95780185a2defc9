"""退会: a member leaves, and their personal data is erased (models/erasure.py).

「退会」 → a confirm card [退会する] [やめる]. The card's buttons act whenever they are tapped (a
member's own card: no officer waits on it); a typed message at the confirm step ends the dialog
and is handled as if no dialog were open. A dialog already open (an officer's draft, a
registration) is not displaced: the card comes alone, and [やめる] leaves that dialog where it was.

```mermaid
stateDiagram-v2
    [*] --> confirm
    confirm --> [*]
    [*] --> [*]: withdraw
```
"""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.framework.dialog import END, Button, Dialog, Next, Step
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from models import MemberStatus, Role
from models.erasure import erase_traces
from models.roster import clear_join_failures, erase_member, officers_for_block
from models.tenancy import attempt_scope
from models.richmenus import enqueue_relink


@router.command(texts.CMD_WITHDRAW)
def on_withdraw(ctx: Ctx) -> None:
    if ctx.member is None or ctx.member.status not in (MemberStatus.active, MemberStatus.pending, MemberStatus.registering):
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return
    if ctx.dialog is not None and not WITHDRAW.is_open(ctx):
        ask_confirm(ctx)  # something else is open (a draft, a registration): it stays, the card acts alone
        return
    WITHDRAW.start(ctx)


def ask_confirm(ctx: Ctx) -> None:
    ctx.reply(msg.card(texts.CMD_WITHDRAW, texts.WITHDRAW_CONFIRM,
                       [msg.postback(texts.WITHDRAW_YES, pb("withdraw", v=1)),
                        msg.postback(texts.WITHDRAW_NO, pb("withdraw", v=0))]))


def on_typed(ctx: Ctx) -> Next:
    """Not an answer to the card: the dialog ends, the message goes where it would have gone."""
    ctx.end_dialog()
    router.fallback(ctx)
    return END


def on_confirm(ctx: Ctx) -> Next:
    m = ctx.member
    if m is None or m.status in (MemberStatus.withdrawn, MemberStatus.declined):
        ctx.reply(msg.text(texts.NOT_REGISTERED))
        return None
    if ctx.data.get("v") != "1":
        ctx.reply(msg.text(texts.WITHDRAW_KEPT))
        return END
    ctx.end_dialog()  # whatever dialog was open: it belonged to the member who leaves
    ctx.audit("member.withdraw", f"member:{m.id}")
    scope, _ = attempt_scope(ctx.session, ctx.channel, m.association_id)
    if scope is not None:  # a city channel's count of the user's wrong codes carries their LINE id too
        clear_join_failures(ctx.session, scope, ctx.user_id)
    leader_note = withdrawal_note(ctx, m)  # (said after the erasure: it never carries their name)
    erase_traces(ctx.session, m, ctx.now, current_event_id=getattr(ctx.event, "webhook_event_id", None),
                 redacted=texts.WITHDRAWN_NAME)
    enqueue_relink(ctx.session, m.association_id, [m.id])  # 退会: back to the default menu (before the id goes)
    own_household = erase_member(m)
    if leader_note is not None:
        ctx.push(*leader_note, purpose=f"withdrawn:{m.id}")
    if own_household is not None:  # it only ever held this member's name
        ctx.session.delete(own_household)
    ctx.reply(msg.text(texts.WITHDRAWN))
    return END


def withdrawal_note(ctx: Ctx, m) -> tuple[list[str], list[dict]] | None:
    """What the 班長 of the member's 班 is told of a 退会 (the chair when the 班 has no leader):
    the household (a roster household stays; one made for this member is named by nobody) and
    whether nobody of it is left on LINE (paper again). Never the member's name: it is erased."""
    household = m.household
    if m.status != MemberStatus.active or household is None:
        return None  # nobody was told of someone not yet registered
    officers = officers_for_block(ctx.session, m.association_id, household.block_id)
    leaders = [o for o in officers if o.role == Role.block_leader and o.id != m.id] or \
        [o for o in officers if o.role == Role.chair and o.id != m.id]
    if not leaders:
        return None
    left = [o for o in household.active_members if o.id != m.id]
    if household.origin == "approval" and not left:
        body = texts.WITHDRAWN_TO_LEADER_NEW.format(block=household.block.name)
    else:
        body = texts.WITHDRAWN_TO_LEADER.format(block=household.block.name, household=household.name)
        if not left:
            body += "\n" + texts.WITHDRAWN_TO_LEADER_PAPER
    return [o.line_user_id for o in leaders], [msg.text(body)]


WITHDRAW = Dialog("withdraw", steps=[
    Step("confirm", take=on_typed, ask=ask_confirm, to=(END,), buttons_only=True),
], buttons=[Button("withdraw", take=on_confirm, to=(END,), opens=True)])

# nobody without an association has anything to leave: they hear so (ctx.member is None)
router.serve_unscoped(flows=[WITHDRAW.name], postbacks=["withdraw"], commands=[texts.CMD_WITHDRAW])
