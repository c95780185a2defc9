"""登録内容 (my 班, household, who else in it is registered, how to withdraw) and 使い方 (what a
resident can do; an officer also gets the shortcuts their role may use), also typed as 「使い方」."""
from __future__ import annotations

from handlers.framework.ctx import Ctx
from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.safety.common import STARTERS
from models import OFFICER_ROLES, Role

# the officers' typed words in 使い方, each for the roles whose members may use it
SHORTCUTS = (
    (texts.CMD_CIRCULAR, OFFICER_ROLES), (texts.CMD_EVENT, OFFICER_ROLES), (texts.CMD_RESULTS, OFFICER_ROLES),
    (texts.CMD_STATUS, OFFICER_ROLES), (texts.CMD_DISASTER, frozenset(STARTERS)),
    (texts.CMD_SAFETY_STATUS, OFFICER_ROLES), (texts.CMD_JMA_RULE, frozenset(STARTERS)),
    (texts.CMD_ADMIN, OFFICER_ROLES), (texts.CMD_CHAIR_CHANGE, frozenset({Role.chair})),
)
RESIDENT_CHIPS = ("circulars", "events", "me")


def role_words(ctx: Ctx) -> str:
    m = ctx.member
    label = texts.ROLE_LABELS.get(m.role.value, "")
    block = m.block if m.role == Role.block_leader else None
    return texts.ROLE_IN_BLOCK.format(block=block.name, role=label) if block is not None else label


def show_me(ctx: Ctx) -> None:
    m, household = ctx.member, ctx.member.household
    block = household.block if household is not None else m.block
    lines = [texts.VIEW_ME_TITLE, texts.VIEW_ME_NAME.format(name=m.name or "")]
    if block is not None:
        lines.append(texts.VIEW_ME_BLOCK.format(block=block.name))
    lines.append(texts.VIEW_ME_HOUSEHOLD.format(household=household.name) if household is not None
                 else texts.VIEW_ME_NO_HOUSEHOLD)
    if m.is_officer:
        lines.append(texts.VIEW_ME_ROLE.format(role=role_words(ctx)))
    if household is not None:  # the same household's registered members only: never anyone else
        others = [o.name for o in household.active_members if o.id != m.id and o.name]
        lines.append(texts.VIEW_ME_FAMILY.format(names=texts.NAMES_SEPARATOR.join(
            texts.PERSON_NAME.format(name=n) for n in others)) if others else texts.VIEW_ME_FAMILY_NONE)
    lines += ["", texts.VIEW_ME_WITHDRAW]
    ctx.reply(msg.text("\n".join(lines), [msg.say(texts.CMD_WITHDRAW),
                                          msg.postback(texts.VIEW_LABELS["help"], pb("view", v="help")),
                                          msg.postback(texts.VIEW_LABELS["mimamori"], pb("view", v="mimamori"))]))


def shortcuts_for(role: Role) -> list[str]:
    return [word for word, roles in SHORTCUTS if role in roles]


def show_help(ctx: Ctx) -> None:
    m = ctx.member
    if not m.is_officer:
        ctx.reply(msg.text(texts.VIEW_HELP_RESIDENT, [msg.postback(texts.VIEW_LABELS[v], pb("view", v=v))
                                                      for v in RESIDENT_CHIPS]))
        return
    words = shortcuts_for(m.role)
    lines = [texts.VIEW_HELP_RESIDENT, "", texts.VIEW_HELP_OFFICER]
    lines += [texts.VIEW_HELP_SHORTCUT.format(word=w, what=texts.VIEW_SHORTCUTS[w]) for w in words]
    ctx.reply(msg.text("\n".join(lines), [msg.say(w) for w in words]))
