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

