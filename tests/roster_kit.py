"""What the roster pages' tests share (a helper module, not a test module): ids of the demo's
households and members by name, posting a page's form, and looking for a person anywhere in the database."""
from __future__ import annotations

from sqlalchemy import select

from models import Base, Block, Household, Member

from admin_kit import csrf_token


def household_id(db, name: str) -> int:
    with db.session() as s:
        return s.scalar(select(Household.id).where(Household.name == name))


def member_id(db, name: str) -> int:
    with db.session() as s:
        return s.scalar(select(Member.id).where(Member.name == name))


def block_id(db, name: str, association_id: int | None = None) -> int:
    with db.session() as s:
        q = select(Block.id).where(Block.name == name)
        if association_id is not None:
            q = q.where(Block.association_id == association_id)
        return s.scalar(q.order_by(Block.id))


def household(db, hid: int) -> dict | None:
    with db.session() as s:
        h = s.get(Household, hid)
        return None if h is None else {"name": h.name, "block": h.block.name, "paper": h.paper,
                                       "paper_by_id": h.paper_by_id, "paper_at": h.paper_at,
                                       "needs_support": h.needs_support, "on_line": h.on_line}


def post(client, page_url: str, action: str, data: dict | None = None, **kw):
    page = client.get(page_url)
    assert page.status_code == 200, page.get_data(as_text=True)[:800]
    return client.post(action, data={**(data or {}), "csrf_token": csrf_token(page.get_data(as_text=True))}, **kw)


def everywhere(db, needles: list[str]) -> list[str]:
    """Tables (and the needle) where any of the needles still appears in any column's text."""
    found = []
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(table.select()).all():
                text = repr(tuple(row))
                for n in needles:
                    if n in text:
                        found.append(f"{table.name}: {n}")
    return found


def dump(db) -> dict[str, list]:
    """Every row of every table (to show that a request wrote nothing)."""
    with db.session() as s:
        return {t.name: sorted(repr(tuple(r)) for r in s.execute(t.select()).all()) for t in Base.metadata.sorted_tables}
