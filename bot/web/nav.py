"""The officers' navigation bar: every page of /admin in one list, each shown to the roles that
may open it (the page itself checks the role again: hiding a link is no guard).

An item appears only once its endpoint is registered, and is marked as the current page when the
request's endpoint starts with one of its `match` prefixes ("admin.roster" matches
"admin.roster_block", "admin.roster_household"…): name a page's endpoints after its item.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app, request, url_for

from handlers.messages import texts
from models import Member, Role
from handlers.safety.common import STARTERS
from models.safety import may_see_safety

Rule = Callable[[Member], bool]


def everyone(m: Member) -> bool:
    return m.is_officer


def board(m: Member) -> bool:
    return m.is_board


def chair(m: Member) -> bool:
    return m.is_officer and m.role == Role.chair


def role_keepers(m: Member) -> bool:
    """Who may change roles: the chair and the officers (役員)."""
    return m.is_officer and m.role in (Role.chair, Role.officer)


def starters(m: Member) -> bool:
    """Who starts disaster mode, and sets when it starts itself: the chair and the 防災担当."""
    return m.is_officer and m.role in STARTERS


def watchers(m: Member) -> bool:
    """見守り's page: the chair and the 班長 (the page shows each only whom they watch)."""
    return m.is_officer and m.role in (Role.chair, Role.block_leader)


@dataclass(frozen=True)
class Item:
    endpoint: str
    label: str
    match: tuple[str, ...]
    who: Rule = everyone
    alert_in_disaster: bool = False


NAV: tuple[Item, ...] = (
    Item("admin.index", texts.NAV_HOME, ("admin.index",)),
    Item("admin.archive", texts.NAV_ARCHIVE, ("admin.archive", "admin.circular")),
    Item("admin.events", texts.NAV_EVENTS, ("admin.events", "admin.event")),
    Item("admin.roster", texts.NAV_ROSTER, ("admin.roster", "admin.household", "admin.member")),
    Item("admin.needs_check", texts.NAV_NEEDS_CHECK, ("admin.needs_check",)),
    Item("admin.approvals", texts.NAV_APPROVALS, ("admin.approvals",)),
    Item("admin.inquiries", texts.NAV_INQUIRIES, ("admin.inquir",)),
    Item("admin.roles", texts.NAV_ROLES, ("admin.roles",), who=role_keepers),
    Item("admin.handover", texts.NAV_HANDOVER, ("admin.handover",), who=chair),
    Item("admin.prints", texts.NAV_PRINTS, ("admin.prints", "admin.print_", "admin.join_sheet")),
    Item("admin.registry_home", texts.NAV_REGISTRY, ("admin.registry",), who=board),
    Item("admin.audit", texts.NAV_AUDIT, ("admin.audit",), who=board),
    Item("admin.jma_rule", texts.NAV_JMA, ("admin.jma_rule",), who=starters),
    Item("safety_page.page", texts.NAV_SAFETY, ("safety_page.",), who=may_see_safety, alert_in_disaster=True),
    Item("admin.drills", texts.NAV_DRILLS, ("admin.drill",), who=may_see_safety),
    Item("admin.shelter", texts.NAV_SHELTER, ("admin.shelter",)),
    Item("admin.reports", texts.NAV_REPORTS, ("admin.report",)),
    Item("admin.mimamori", texts.NAV_MIMAMORI, ("admin.mimamori",), who=watchers),  # 見守り (issue 17)
)


def items_for(member: Member, disaster: bool) -> list[dict]:
    """The bar for this member on this request: plain dicts (rendered after the DB session closes)."""
    here = request.endpoint or ""
    out = []
    for item in NAV:
        if item.endpoint not in current_app.view_functions or not item.who(member):
            continue
        out.append({"url": url_for(item.endpoint), "label": item.label,
                    "current": any(here.startswith(p) for p in item.match),
                    "alert": item.alert_in_disaster and disaster})
    return out
