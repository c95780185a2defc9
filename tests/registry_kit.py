"""What the registry tests share (a helper module, not a test module): a frozen clock, a second
association with its own chair, signing in officers of either association, the CSRF token of a
page, and a form filled with what the page holds."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
import time_machine
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.web.signin import issue_login_link
from models import Association, Block, Household, Member, MemberStatus, Municipality, Role, utcnow
from models.registry import FIELDS
from models.roster import PRIVACY_POLICY_VERSION, new_join_code

from admin_kit import BASE, CHAIR, path, sign_in  # noqa: F401 - re-exported for the registry tests

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2027, 4, 20, 10, 0, tzinfo=JST)  # after the yearly general meetings
LEADER = demo_user_id("田中 実")  # 班長 of 2班
SATO = demo_user_id("佐藤 花子")  # a resident
KOBAYASHI = demo_user_id("小林 修")  # 防災担当
OTHER_CHAIR = demo_user_id("西町 会長")
CITY = "神戸市"


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=True) as t:
        yield t


def city_of_two(db) -> tuple[int, int, int]:
    """The demo association and a second one (西町自治会, its chair 西町 会長) in one municipality.
    Returns (municipality id, demo association id, the other's id)."""
    with db.session() as s:
        city = Municipality(name=CITY)
        s.add(city)
        s.flush()
        demo = s.scalars(select(Association).order_by(Association.id)).first()
        demo.municipality_id = city.id
        other = Association(slug="nishi", name="西町自治会", municipality_id=city.id)
        s.add(other)
        s.flush()
        block = Block(association_id=other.id, name="1組")
        s.add(block)
        s.flush()
        h = Household(association_id=other.id, block_id=block.id, name="西町 会長", join_code=new_join_code(s))
        s.add(h)
        s.flush()
        s.add(Member(association_id=other.id, line_user_id=OTHER_CHAIR, household_id=h.id, block_id=block.id,
                     name="西町 会長", role=Role.chair, status=MemberStatus.active, consent_at=utcnow(),
                     consent_policy_version=PRIVACY_POLICY_VERSION))
        return city.id, demo.id, other.id


def sign_in_directly(client, k, user: str):
    """Sign in with a one-time link issued as 「管理画面」 would (for a member of any association)."""
    with k.db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == user))
        url = issue_login_link(s, k.settings, m)
    resp = client.post(path(url))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    return resp


def csrf(page: str) -> str:
    m = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert m, page
    return m.group(1)


def form_of(page: str) -> dict[str, str]:
    """Every field of the edit page as its inputs hold it now (as a browser would submit it)."""
    out = {"csrf_token": csrf(page)}
    for f in FIELDS:
        if f.kind in ("flag", "status"):
            sel = re.search(rf'<select id="f-{f.key}" name="{f.key}">(.*?)</select>', page, re.S).group(1)
            chosen = re.search(r'<option value="([^"]*)" selected>', sel)
            out[f.key] = chosen.group(1) if chosen else re.search(r'<option value="([^"]*)"', sel).group(1)
        elif f.kind == "note":
            out[f.key] = htmllib.unescape(re.search(rf'name="{f.key}"[^>]*>(.*?)</textarea>', page, re.S).group(1))
        else:
            out[f.key] = htmllib.unescape(re.search(rf'name="{f.key}" value="([^"]*)"', page).group(1))
    return out


def text_of(page: str) -> str:
    """The page's words without tags (for asserting what a person reads)."""
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
