"""Labels that word a model's codes (models keep codes only; their words are in texts)."""
from __future__ import annotations

from typing import Sequence

from handlers.messages import texts
from models import Target


def target_label(target: Target | str, block_names: Sequence[str]) -> str:
    """Whom a circular or an event goes to: 全体, 役員のみ, or the chosen 班 (「1班・2班」).
    `block_names` is models.circulars.target_block_names(session, c)."""
    if target == Target.all:
        return texts.TARGET_LABEL_ALL
    if target == Target.officers:
        return texts.TARGET_LABEL_OFFICERS
    return texts.BLOCK_NAMES_SEPARATOR.join(block_names) or texts.TARGET_LABEL_NO_BLOCKS



def names_by_block(entries: Sequence[tuple[str, str]], limit: int = 40) -> str:
    """Households (block name, how to name it) grouped by 班, one line each, in the order given:
    「\n・1班：あなたの世帯、佐藤 花子様\n・2班：田中 実様」; past `limit`, 「ほか{n}世帯」."""
    groups: dict[str, list[str]] = {}
    for block, name in entries[:limit]:
        groups.setdefault(block, []).append(name)
    lines = [texts.NAMES_BY_BLOCK_LINE.format(block=b, names=texts.NAMES_SEPARATOR.join(ns)) for b, ns in groups.items()]
    if len(entries) > limit:
        lines.append(texts.NAMES_BY_BLOCK_MORE.format(n=len(entries) - limit))
    return "".join("\n" + line for line in lines)
