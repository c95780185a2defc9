"""A demo association for `make run` and the simulator: 東町自治会, 3 班, 12 households.

`seed_city` adds the city tier around it (the simulator's demo, `kairan demo --city`): the
municipality みなと市, 東町自治会 on its own LINE channel, a second small association 西町自治会
(2 班) on the city channel, and one city staff member (市役所 佐々木) on the city channel.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Association, Block, CityStaff, Household, Member, MemberStatus, Municipality, Role, utcnow
from models.roster import PRIVACY_POLICY_VERSION, new_join_code
from models.tenancy import Channel

SLUG = "higashi"
NAME = "東町自治会"
# (班, household representative, LINE member role or None if not registered yet, on LINE, needs support)
HOUSEHOLDS = [
    ("1班", "山田 太郎", Role.chair, True, False),
    ("1班", "佐藤 花子", Role.member, True, False),
    ("1班", "鈴木 一郎", Role.member, True, False),
    ("1班", "高橋 和子", None, False, True),  # no LINE: gets circulars on paper
    ("2班", "田中 実", Role.block_leader, True, False),
    ("2班", "伊藤 美咲", Role.member, True, False),
    ("2班", "渡辺 健", None, True, False),  # on LINE but not registered: try registering as him
    ("2班", "中村 幸子", Role.member, True, True),
    ("3班", "小林 修", Role.disaster_officer, True, False),
    ("3班", "加藤 恵子", Role.member, True, False),
    ("3班", "吉田 勇", None, True, False),
    ("3班", "山本 節子", Role.member, True, True),
]


def demo_user_id(name: str) -> str:
    """A stable, valid-looking LINE user id (U + 32 hex) for a demo person."""
    return "U" + hashlib.md5(f"kairan-demo:{name}".encode()).hexdigest()


def seed(session: Session) -> bool:
    """Create the demo association unless one exists. Returns True if it created it."""
    if session.scalar(select(Association.id).limit(1)) is not None:
        return False
    _association(session, SLUG, NAME, HOUSEHOLDS)
    return True


# --- the city tier ---------------------------------------------------------------------------
CITY = "みなと市"
CITY_CODE = "139999"  # not a real 全国地方公共団体コード (they end in a check digit; 13 is Tokyo)
NISHI_SLUG = "nishi"
NISHI = "西町自治会"
NISHI_HOUSEHOLDS = [
    ("1班", "木村 正", Role.chair, True, False),
    ("1班", "林 さくら", Role.member, True, False),
    ("1班", "清水 進", None, True, False),  # on LINE, not registered: registers on the city channel
    ("2班", "森 和夫", Role.block_leader, True, False),
    ("2班", "池田 光", Role.member, True, True),
    ("2班", "橋本 由美", None, False, False),  # no LINE
]
STAFF_NAME = "市役所 佐々木"
DISTRICTS = {SLUG: "東地区", NISHI_SLUG: "西地区"}


@dataclass(frozen=True)
class DemoChannel:
    key: str
    label: str
    secret: str
    token: str

    @property
    def bot_user_id(self) -> str:
        return "U" + hashlib.md5(f"kairan-demo-bot:{self.key}".encode()).hexdigest()


# simulator mode only: these secrets are in the source, as DEV_CHANNEL_SECRET is
HIGASHI_CHANNEL = DemoChannel("higashi", "東町自治会の公式アカウント", "kairan-demo-higashi-channel-secret",
                              "kairan-demo-higashi-access-token")
CITY_CHANNEL = DemoChannel("minato", "みなと市の公式アカウント", "kairan-demo-minato-channel-secret",
                           "kairan-demo-minato-access-token")


def seed_city(session: Session, box) -> bool:
    """Add the city tier to the demo association (once): True if it did. `box` encrypts the
    channels' secrets (bot.secrets.SecretBox). Nothing happens on a database that is not the demo's."""
    higashi = session.scalar(select(Association).where(Association.slug == SLUG, Association.name == NAME))
    if higashi is None or session.scalar(select(Municipality.id).limit(1)) is not None:
        return False
    city = Municipality(name=CITY, code=CITY_CODE)
    session.add(city)
    session.flush()
    higashi.municipality_id, higashi.district = city.id, DISTRICTS[SLUG]
    nishi = _association(session, NISHI_SLUG, NISHI, NISHI_HOUSEHOLDS, city.id, DISTRICTS[NISHI_SLUG])
    for ch, owner in ((HIGASHI_CHANNEL, {"association_id": higashi.id}), (CITY_CHANNEL, {"municipality_id": city.id})):
        session.add(Channel(bot_user_id=ch.bot_user_id, label=ch.label, secret_enc=box.encrypt(ch.secret),
                            token_enc=box.encrypt(ch.token), version=1, **owner))
    session.flush()
    city_channel = session.scalar(select(Channel.id).where(Channel.municipality_id == city.id))
    session.add(CityStaff(municipality_id=city.id, channel_id=city_channel, line_user_id=demo_user_id(STAFF_NAME),
                          name=STAFF_NAME))
    return nishi is not None


def _association(session: Session, slug: str, name: str, households: list, municipality_id: int | None = None,
                 district: str | None = None) -> Association:
    assoc = Association(slug=slug, name=name, municipality_id=municipality_id, district=district)
    session.add(assoc)
    session.flush()
    blocks: dict[str, Block] = {}
    for i, block_name in enumerate(sorted({h[0] for h in households})):
        blocks[block_name] = Block(association_id=assoc.id, name=block_name, position=i)
        session.add(blocks[block_name])
    session.flush()
    now = utcnow()
    for block, rep, role, on_line, support in households:
        # LINE 無 in the roster: the 班長 brings circulars on paper (紙で受け取る, set with the roster)
        h = Household(association_id=assoc.id, block_id=blocks[block].id, name=rep, on_line=on_line,
                      needs_support=support, join_code=new_join_code(session), paper=not on_line,
                      paper_at=None if on_line else now)
        session.add(h)
        session.flush()
        if role is not None:
            session.add(Member(association_id=assoc.id, line_user_id=demo_user_id(rep), household_id=h.id,
                               block_id=blocks[block].id, name=rep, role=role, status=MemberStatus.active,
                               consent_at=now, consent_policy_version=PRIVACY_POLICY_VERSION))
    return assoc
