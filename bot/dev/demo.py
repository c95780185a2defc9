"""A demo association for `make run` and the simulator: 東町自治会, 3 班, 12 households."""
from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Association, Block, Household, Member, MemberStatus, Role, utcnow
from models.roster import PRIVACY_POLICY_VERSION, new_join_code

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
    assoc = Association(slug=SLUG, name=NAME)
    session.add(assoc)
    session.flush()
    blocks: dict[str, Block] = {}
    for i, name in enumerate(sorted({h[0] for h in HOUSEHOLDS})):
        blocks[name] = Block(association_id=assoc.id, name=name, position=i)
        session.add(blocks[name])
    session.flush()
    now = utcnow()
    for block, rep, role, on_line, support in HOUSEHOLDS:
        h = Household(association_id=assoc.id, block_id=blocks[block].id, name=rep, on_line=on_line,
                      needs_support=support, join_code=new_join_code(session))
        session.add(h)
        session.flush()
        if role is not None:
            session.add(Member(association_id=assoc.id, line_user_id=demo_user_id(rep), household_id=h.id,
                               block_id=blocks[block].id, name=rep, role=role, status=MemberStatus.active,
                               consent_at=now, consent_policy_version=PRIVACY_POLICY_VERSION))
    return True
