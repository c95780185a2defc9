"""Quick-reply pickers shared by the dialogs: LINE shows at most 13 chips, associations have more 班."""
from __future__ import annotations

from typing import Any, Callable, Sequence

from handlers.messages import builders as msg, texts
from handlers.messages.limits import QUICK_REPLY_MAX_ITEMS


def paged(items: Sequence[Any], offset: int, fixed: int, chip: Callable[[Any], Any],
          page: Callable[[int], str]) -> list:
    """Chips for items[offset:…], leaving room for `fixed` chips the caller adds, with [次へ] /
    [最初から] when the items do not fit on one page."""
    room = QUICK_REPLY_MAX_ITEMS - fixed
    size = room if len(items) <= room else room - 1
    actions = [chip(item) for item in items[offset:offset + size]]
    if len(items) > size:
        following = offset + size if offset + size < len(items) else 0
        actions.append(msg.postback(texts.NEXT if following else texts.BACK_TO_FIRST, page(following)))
    return actions


def block_toggles(blocks: Sequence[Any], chosen: set[int], offset: int, toggle: Callable[[Any, int], str],
                  page: Callable[[int], str], done: str) -> tuple[list, str]:
    """Choose several 班: ✓ marks the chosen ones; then [決定] [取消]. Returns (chips, chosen names)."""
    actions = paged(blocks, offset, 2, lambda b: msg.postback(("✓" if b.id in chosen else "") + b.name,
                                                              toggle(b, offset)), page)
    actions += [msg.postback(texts.DONE, done), msg.say(texts.CANCEL)]
    return actions, texts.BLOCK_NAMES_SEPARATOR.join(b.name for b in blocks if b.id in chosen)


def pages(items: Sequence[Any], offset: int, fixed: int, chip: Callable[[Any], Any],
          page: Callable[[int], str]) -> list:
    """Chips for one page of items, leaving room for `fixed` chips the caller adds: all of them
    when they fit, else pages with [前へ] before and [次へ] after (a city's 地区 and 自治会)."""
    room = QUICK_REPLY_MAX_ITEMS - fixed
    if len(items) <= room:
        return [chip(item) for item in items]
    size = room - 2
    last = (len(items) - 1) // size * size
    offset = min(max(offset, 0), last) // size * size  # a stale or forged offset: the nearest page
    actions = [msg.postback(texts.PREV, page(offset - size))] if offset else []
    actions += [chip(item) for item in items[offset:offset + size]]
    if offset < last:
        actions.append(msg.postback(texts.NEXT, page(offset + size)))
    return actions
