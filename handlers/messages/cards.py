"""Cards of 出欠 and disaster mode, as pure functions of plain values: the event card residents
answer on and its reminder, the safety-check card and its buttons, rescue alerts, visit lists and
「安否状況」. The capabilities fetch the facts (no session here, no ORM objects) and call these;
tests/test_messages.py validates each one against LINE's spec and limits.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

from handlers.messages import builders as msg, dates, texts
from handlers.messages.codec import pb
from handlers.messages.limits import MAX_MESSAGES, TEXT_MAX, utf16_len
from models.events import ANSWERS
from models.safety import STATUSES

STATUS_BUTTONS = ("safe", "injured", "rescue", "evacuated")


# --- 回覧: the hero image of a circular's card ---------------------------------------------------
def hero_url(base_url: str, image_token: Optional[str]) -> Optional[str]:
    """The public address of a circular's first photo (bot/web/pages.py `/i/<token>`), for the card's
    hero; None without a photo or when kairan is not served over https (LINE shows https images only)."""
    if not image_token or not base_url.startswith("https://"):
        return None
    return f"{base_url.rstrip('/')}/i/{image_token}"


# --- 出欠: the resident's card and its reminder ------------------------------------------------
@dataclass(frozen=True)
class EventFacts:
    """What the event card shows of an event."""

    id: int
    name: str
    starts_at: dt.datetime
    place: str
    deadline: dt.datetime
    note: str = ""
    per_person: bool = False


def answer_actions(event_id: int) -> list:
    return [msg.postback(texts.ANSWER_LABELS[v], pb("ev_ans", e=event_id, v=v)) for v in ANSWERS]


def event_details(event_id: int):
    return msg.postback(texts.EV_DETAILS, pb("ev_info", e=event_id))


def resident_card(association_name: str, ev: EventFacts, tz: str) -> dict:
    return msg.event(association_name=association_name, name=ev.name, when=dates.weekday(ev.starts_at, tz),
                     place=ev.place, deadline=dates.weekday(ev.deadline, tz), note=ev.note, per_person=ev.per_person,
                     answers=answer_actions(ev.id), details=event_details(ev.id))


def reminder_card(ev: EventFacts, tz: str) -> dict:
    body = texts.EV_REMINDER_BODY.format(name=ev.name, when=dates.weekday(ev.starts_at, tz),
                                         deadline=dates.weekday(ev.deadline, tz))
    return msg.card(texts.EV_REMINDER_TITLE, body, answer_actions(ev.id) + [event_details(ev.id)],
                    alt=texts.ALT_TITLED.format(title=texts.EV_REMINDER_TITLE, name=ev.name),
                    quick=answer_actions(ev.id))


# --- disaster mode: the safety check and its buttons -----------------------------------------
def status_actions(disaster_id: int) -> list:
    return [msg.postback(texts.SAFETY_LABELS[s], pb("sf", d=disaster_id, s=s)) for s in STATUS_BUTTONS]


def _status_quick(disaster_id: int) -> list:
    return status_actions(disaster_id) + [msg.location(texts.SAFETY_LOCATION)]


def check_card(disaster_id: int, kind: str, message: Optional[str], reask: bool = False) -> dict:
    """The safety check (`kind` a key of texts.DISASTER_KINDS; `message` the officers' words)."""
    name = texts.DISASTER_KINDS[kind]
    title = (texts.SAFETY_REASK_TITLE if reask else texts.SAFETY_CHECK_TITLE).format(kind=name)
    body = texts.SAFETY_REASK_BODY if reask else (message + "\n\n" if message else "") + texts.SAFETY_CHECK_BODY
    return msg.card(title, body, status_actions(disaster_id), quick=_status_quick(disaster_id))


def buttons_card(disaster_id: int, kind: str, body: str) -> dict:
    return msg.card(texts.SAFETY_CHECK_TITLE.format(kind=texts.DISASTER_KINDS[kind]), body,
                    status_actions(disaster_id), quick=_status_quick(disaster_id))


def counts_text(counts: dict[str, int]) -> str:
    return texts.MARKS_SEPARATOR.join(texts.SAFETY_COUNT.format(label=texts.SAFETY_LABELS[s], n=counts[s])
                                      for s in STATUSES)


# --- 「救助が必要」 -------------------------------------------------------------------------------
def map_url(lat: float, lng: float) -> str:
    return f"https://maps.google.com/?q={lat:.6f},{lng:.6f}"


def rescue_text(template: str, block: str, household: str, comment: Optional[str],
                location: Optional[tuple[float, float]], needs: str = "") -> dict:
    """The alert (texts.RESCUE_ALERT) or its update (texts.RESCUE_UPDATE); `location` (lat, lng);
    `needs`: the household's 困りごと in words (食料・水・薬), if any."""
    return msg.text(template.format(block=block, household=household, comment=comment or texts.RESCUE_NO_COMMENT,
                                    map=texts.RESCUE_MAP.format(url=map_url(*location))
                                    if location else texts.RESCUE_NO_MAP)
                    + (texts.SAFETY_MAP_POPUP_NEEDS.format(needs=needs) if needs else ""))


# --- visit lists ---------------------------------------------------------------------------------
def visit_label(household: str, via_line: bool, needs_support: bool) -> str:
    """「渡辺 健様（紙）」「高橋 和子様（紙・要支援）」: the visit lists and 「安否状況」 alike."""
    marks = ([texts.VISIT_PAPER] if not via_line else []) + ([texts.VISIT_SUPPORT] if needs_support else [])
    return texts.HOUSEHOLD_NAME.format(name=household) + (
        texts.HOUSEHOLD_MARKS.format(marks=texts.MARKS_SEPARATOR.join(marks)) if marks else "")


def block_lines(block: str, labels: list[str], limit: int) -> list[str]:
    """「■2班：…」 lines of at most `limit` UTF-16 units: a long 班 takes several, no name is cut."""
    lines: list[str] = []
    names: list[str] = []
    for label in labels:
        if names and utf16_len(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names + [label]))) > limit:
            lines.append(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names)))
            names = []
        names.append(label)
    if names:
        lines.append(texts.VISIT_BLOCK.format(block=block, names=texts.NAMES_SEPARATOR.join(names)))
    return lines


def packed(head: list[str], lines: list[str], quick: list, limit: int = TEXT_MAX) -> list[list[dict]]:
    """The head and lines as text messages within LINE's limit (lines never cut), grouped by
    the MAX_MESSAGES a push may carry; the last message has the quick replies."""
    bodies: list[str] = []
    for line in ["\n".join(head)] + lines:
        if bodies and utf16_len(bodies[-1]) + 1 + utf16_len(line) <= limit:
            bodies[-1] += "\n" + line
        else:
            bodies += msg.split_text(line, limit)  # a line longer than a message: only then cut
    messages = [msg.text(b, quick if i == len(bodies) - 1 else None) for i, b in enumerate(bodies)]
    return [messages[i:i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)]


def visit_head(kind: str, final: bool, no_leader: bool = False) -> list[str]:
    return ([texts.VISIT_TITLE.format(kind=texts.DISASTER_KINDS[kind])] + ([texts.VISIT_FINAL] if final else [])
            + [texts.VISIT_ASK] + ([texts.VISIT_NO_LEADER] if no_leader else []))


def proxy_quick(disaster_id: int) -> list:
    return [msg.postback(texts.SAFETY_PROXY, pb("sfp", d=disaster_id))]


def visit_lists(disaster_id: int, kind: str, final: bool, lines: list[str], no_leader: bool = False) -> list[list[dict]]:
    """A visit list (`lines` from block_lines) as pushes of at most MAX_MESSAGES messages each."""
    return packed(visit_head(kind, final, no_leader), lines, proxy_quick(disaster_id))


# --- 「安否状況」 ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardFacts:
    """What 「安否状況」 says: `counts` per status, `rescue` as (班, household) pairs, `per_block`
    as 班 → (answered, total), `silent` the visit labels of the households still silent."""

    kind: str
    since: str  # already formatted (dates.fmt … texts.SAFETY_SINCE)
    counts: dict[str, int]
    total: int
    silent_count: int
    rescue: list[tuple[str, str]] = field(default_factory=list)
    per_block: dict[str, tuple[int, int]] = field(default_factory=dict)
    silent: list[str] = field(default_factory=list)


SILENT_SHOWN = 60  # households named in 「安否状況」 (the live page has them all)


def board_texts(b: BoardFacts) -> list[str]:
    """The board as texts within LINE's limit, leaving room for the link message."""
    lines = [texts.SAFETY_STATUS_HEADER.format(kind=texts.DISASTER_KINDS[b.kind], since=b.since),
             texts.SAFETY_STATUS_COUNTS.format(counts=counts_text(b.counts), silent=b.silent_count,
                                               total=b.total)]
    if b.rescue:
        lines.append(texts.SAFETY_STATUS_RESCUE.format(names=texts.NAMES_SEPARATOR.join(texts.BLOCK_HOUSEHOLD.format(
            block=block, household=texts.HOUSEHOLD_NAME.format(name=name)) for block, name in b.rescue)))
    lines += [texts.SAFETY_STATUS_BLOCK.format(block=k, answered=a, total=t) for k, (a, t) in b.per_block.items()]
    if b.silent:
        lines.append(texts.SAFETY_STATUS_SILENT.format(names=texts.NAMES_SEPARATOR.join(b.silent[:SILENT_SHOWN])))
    # LINE's limit counts UTF-16 units: a long board takes several messages (the link needs one)
    return [m["text"] for m in msg.long_text("\n".join(lines), MAX_MESSAGES - 1)]


def board_messages(b: BoardFacts, disaster_id: int, url: Optional[str] = None) -> list[dict]:
    """「安否状況」's reply: the board, then (for who may see it) the link to the live page."""
    proxy = proxy_quick(disaster_id)
    board = board_texts(b)
    if url is not None:
        return [msg.text(t) for t in board] + [msg.link(texts.CMD_SAFETY_STATUS, texts.SAFETY_PAGE_LINK,
                                                        texts.SAFETY_PAGE_OPEN, url, proxy)]
    return [msg.text(t, proxy if i == len(board) - 1 else None) for i, t in enumerate(board)]
