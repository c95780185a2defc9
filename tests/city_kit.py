"""A city for the city-tier tests: one municipality, its associations (地区, 班, households, a chair
and a block leader each on LINE) and its city channel; optionally an association on a channel of its
own, which the city channel does not serve. A helper module, not a test module."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from models import Association, Block, Channel, ChannelRef, Household, Member, MemberStatus, Municipality, Role, utcnow
from models.roster import PRIVACY_POLICY_VERSION, new_join_code

CITY = "みどり市"
# (name, 地区): two in 北地区, one alone in 南地区, one without a 地区 (「その他」)
ASSOCIATIONS = (("東町自治会", "北地区"), ("西町自治会", "北地区"), ("南町自治会", "南地区"), ("緑ヶ丘団地自治会", None))
HOUSEHOLDS = (("1班", "青木 一郎"), ("1班", "石井 花子"), ("2班", "上田 実"), ("2班", "岡本 恵"))


def uid(name: str) -> str:
    """A valid-looking LINE user id (U + 32 hex) for a person of the city."""
    return "U" + hashlib.md5(f"kairan-city:{name}".encode()).hexdigest()


@dataclass
class Assoc:
    id: int
    name: str
    district: str | None
    chair: str  # LINE user ids
    leader1: str  # 班長 of 1班
    blocks: dict[str, int] = field(default_factory=dict)  # 班 → id
    codes: dict[str, str] = field(default_factory=dict)  # household name → 登録コード
    households: dict[str, int] = field(default_factory=dict)  # household name → id


@dataclass
class City:
    municipality_id: int
    channel: ChannelRef  # the city channel
    assocs: list[Assoc]
    own: Assoc | None = None  # an association of the city on its own channel
    own_channel: ChannelRef | None = None

    def by_name(self, name: str) -> Assoc:
        return next(a for a in self.assocs if a.name == name)


def _association(s: Session, muni: Municipality, i: int, name: str, district: str | None) -> Assoc:
    a = Association(slug=f"city{i}", name=name, municipality_id=muni.id, district=district)
    s.add(a)
    s.flush()
    out = Assoc(a.id, name, district, uid(f"{name}:chair"), uid(f"{name}:leader1"))
    for pos, block in enumerate(("1班", "2班")):
        b = Block(association_id=a.id, name=block, position=pos)
        s.add(b)
        s.flush()
        out.blocks[block] = b.id
    now = utcnow()
    for block, rep in HOUSEHOLDS:
        h = Household(association_id=a.id, block_id=out.blocks[block], name=rep, join_code=new_join_code(s))
        s.add(h)
        s.flush()
        out.codes[rep], out.households[rep] = h.join_code, h.id
    for who, role, block in ((out.chair, Role.chair, "2班"), (out.leader1, Role.block_leader, "1班")):
        h = Household(association_id=a.id, block_id=out.blocks[block], name=f"{name}{role.value}",
                      join_code=new_join_code(s))
        s.add(h)
        s.flush()
        s.add(Member(association_id=a.id, line_user_id=who, household_id=h.id, block_id=out.blocks[block],
                     name=h.name, role=role, status=MemberStatus.active, consent_at=now,
                     consent_policy_version=PRIVACY_POLICY_VERSION))
    s.flush()
    return out


def make_city(db, associations=ASSOCIATIONS, own: str | None = None) -> City:
    """The city, its associations (`associations`: (name, 地区) pairs) on the city channel, and with
    `own` one more association of the city on its own channel."""
    with db.session() as s:
        muni = Municipality(name=CITY)
        s.add(muni)
        s.flush()
        assocs = [_association(s, muni, i, name, district) for i, (name, district) in enumerate(associations)]
        channel = Channel(bot_user_id="U" + "c" * 32, label=f"{CITY}公式", municipality_id=muni.id,
                          secret_enc="not-a-real-token", token_enc="not-a-real-token")
        s.add(channel)
        city = City(muni.id, None, assocs)  # type: ignore[arg-type]
        if own is not None:
            city.own = _association(s, muni, len(assocs), own, "北地区")
            mine = Channel(bot_user_id="U" + "d" * 32, label=own, association_id=city.own.id,
                           secret_enc="not-a-real-token", token_enc="not-a-real-token")
            s.add(mine)
            s.flush()
            city.own_channel = mine.ref()
        s.flush()
        city.channel = channel.ref()
    return city


def many(n: int, district: str | None = "北地区") -> tuple[tuple[str, str | None], ...]:
    """n associations in one 地区 (more than 13 quick replies hold)."""
    return tuple((f"第{i:02d}町会", district) for i in range(1, n + 1))
