"""The pull views: what a rich-menu button answers (`pb("view", v=<name>)`, displayText = the label),
always by reply (free; never a push), from the database as it is now.

One route dispatches on `v` through the declared table `VIEWS`; an unknown or forged `v` is a stale
button. Only active members see a view (anyone else gets what registration says to any message;
without an association the router's unscoped rules answer before this route); a view with roles is
refused to the other members (OFFICERS_ONLY), as the router refuses an officer's button.
`inquiry` and `report` open the capabilities' own dialogs (handlers/inquiries, handlers/reports).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from handlers.framework.ctx import Ctx
from handlers.framework.router import router
from handlers.messages import builders as msg, texts
from handlers.inquiries import chat as inquiries
from handlers.mimamori import enrol as mimamori
from handlers.officer import on_status
from handlers.reports import flow as reports
from handlers.views import about, answers, archive, disaster
from handlers.views.common import registration
from models import OFFICER_ROLES, Role


@dataclass(frozen=True)
class View:
    show: Callable[[Ctx], None]
    roles: Optional[frozenset[Role]] = None  # None: every active member


VIEWS: dict[str, View] = {
    "circulars": View(archive.show),  # 回覧板
    "events": View(answers.show),  # 行事・出欠
    "safety": View(disaster.show_safety),  # 安否を伝える
    "me": View(about.show_me),  # 登録内容
    "help": View(about.show_help),  # 使い方
    "family": View(disaster.show_family),  # 家族の状況
    "shelter": View(disaster.show_shelter),  # 避難所・連絡先
    "inquiry": View(inquiries.start),  # 問い合わせ
    "report": View(reports.start),  # 通報
    "status": View(on_status, roles=OFFICER_ROLES),  # 状況 (officers): the typed 「状況」's answer
    "mimamori": View(mimamori.show),  # 見守り (issue 17): from 登録内容's chip
}


def run(ctx: Ctx, view: View) -> None:
    if not ctx.is_member:
        registration(ctx)
    elif view.roles is not None and ctx.member.role not in view.roles:
        ctx.reply(msg.text(texts.OFFICERS_ONLY))
    else:
        view.show(ctx)


@router.postback("view")
def on_view(ctx: Ctx) -> None:
    view = VIEWS.get(ctx.data.get("v", ""))
    if view is None:
        ctx.reply(msg.text(texts.STALE_BUTTON))
        return
    run(ctx, view)


@router.command(texts.CMD_HELP)
def on_help(ctx: Ctx) -> None:
    """「使い方」 typed: the 使い方 view, for everyone (a newcomer hears what registration says)."""
    run(ctx, VIEWS["help"])
