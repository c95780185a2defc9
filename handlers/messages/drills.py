"""Drills' and responders' messages (issue 14), from plain values: the 【訓練】 mark every drill
message carries, the 困りごと chips of a safety answer, and the responder's visit card."""
from __future__ import annotations

import copy
from typing import Optional, Sequence

from handlers.messages import builders as msg, texts
from handlers.messages.codec import pb
from handlers.messages.limits import TEXT_MAX, utf16_len

ALT_MAX = 400  # a flex or template message's altText (LINE)


def _prefixed(value: str, limit: int) -> str:
    out = texts.DRILL_MARK + value
    while utf16_len(out) > limit:
        out = out[:-1]
    return out


def mark_drill(messages: Sequence[dict]) -> list[dict]:
    """The same messages marked 【訓練】 (a text's start, a card's title and altText), once."""
    out = []
    for m in messages:
        m = copy.deepcopy(m)
        if m.get("type") == "text" and not m["text"].startswith(texts.DRILL_MARK):
            m["text"] = _prefixed(m["text"], TEXT_MAX)
        elif m.get("type") in ("flex", "template"):
            if not m.get("altText", "").startswith(texts.DRILL_MARK):
                m["altText"] = _prefixed(m.get("altText", ""), ALT_MAX)
            body = (m.get("contents") or {}).get("body") or {}
            first = next((c for c in body.get("contents", []) if c.get("type") == "text"), None)
            if first is not None and not first["text"].startswith(texts.DRILL_MARK):
                first["text"] = texts.DRILL_MARK + first["text"]
        out.append(m)
    return out


def need_actions(disaster_id: int) -> list:
    """[食料・水] [薬] [移動の手助け] [停電] [連絡がほしい]: several may be tapped."""
    return [msg.postback(label, pb("sf_need", d=disaster_id, k=key)) for key, label in texts.SAFETY_NEEDS.items()]


def needs_text(needs: Sequence[str]) -> str:
    return texts.SAFETY_NEEDS_SEPARATOR.join(texts.SAFETY_NEEDS[n] for n in needs if n in texts.SAFETY_NEEDS)


def need_recorded(needs: Sequence[str], quick: Sequence) -> dict:
    return msg.text(texts.SAFETY_NEED_RECORDED.format(needs=needs_text(needs)), list(quick))


def responder_card(assignment_id: int, block: str, household: str, status: str, needs: Sequence[str],
                   address: Optional[str], location: Optional[tuple[float, float]]) -> dict:
    """To the member sent to a household: who, where, what they need, the map; the outcome buttons."""
    where = (texts.RESPONDER_MAP.format(url=f"https://maps.google.com/?q={location[0]:.6f},{location[1]:.6f}")
             if location else texts.RESPONDER_NO_MAP)
    body = texts.RESPONDER_BODY.format(block=block, household=household, status=status,
                                       needs=needs_text(needs) or texts.RESPONDER_NO_NEEDS,
                                       address=address or texts.RESPONDER_NO_ADDRESS, map=where)
    return msg.card(texts.RESPONDER_TITLE.format(household=household), body,
                    [msg.postback(label, pb("sfr", i=assignment_id, o=key))
                     for key, label in texts.RESPONDER_OUTCOMES.items()])
