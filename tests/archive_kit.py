"""What the archive tests share (a helper module, not a test module): a circular written straight
into the database (for paging and 班 scoping), the outbox rows of a correction, the words of a page."""
from __future__ import annotations

import datetime as dt
import html as htmllib
import re

from sqlalchemy import select

from models import Circular, CircularState, Household, OutboxMessage, Target
from models.delivery import write_receipts


def add_sent_circular(db, association_id: int, title: str, body: str = "本文", at: dt.datetime | None = None,
                      block_names: tuple[str, ...] = (), category: str = "other") -> int:
    """A sent circular with a receipt for each household (of `block_names` only, when given)."""
    at = at or dt.datetime.now(dt.timezone.utc)
    with db.session() as s:
        hs = [h for h in s.scalars(select(Household).where(Household.association_id == association_id))
              if not block_names or h.block.name in block_names]
        c = Circular(association_id=association_id, title=title, body=body, category=category,
                     target=Target.blocks if block_names else Target.all,
                     target_block_ids=sorted({h.block_id for h in hs}) if block_names else [],
                     state=CircularState.sent, sent_at=at)
        s.add(c)
        s.flush()
        write_receipts(s, association_id, "circular", c.id, ((h.id, 0, True) for h in hs), at, pages=True)
        return c.id


def outbox_rows(db, purpose_prefix: str) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.startswith(purpose_prefix))
                              .order_by(OutboxMessage.id)))


def words(page: str) -> str:
    """The page's words without tags."""
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def titles(page: str) -> list[str]:
    """The circular titles listed on the archive page, in order."""
    return [htmllib.unescape(t) for t in re.findall(r'<h2><a href="/admin/circulars/\d+">([^<]*)</a></h2>', page)]


def spec_valid(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Each queued row as LINE will get it (push or multicast) matches LINE's spec."""
    from line_spec import validate_request

    assert rows
    for r in rows:
        if r.kind == "push":
            validate_request("push", {"to": r.recipients[0], "messages": r.messages})
        else:
            validate_request("multicast", {"to": r.recipients, "messages": r.messages})
    return rows
