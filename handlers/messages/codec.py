"""The postback codec and the one normalisation of typed words (both pure)."""
from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import parse_qsl, urlencode


def pb(action: str, **ids: Any) -> str:
    """Compact postback data: pb("read", c=12) -> "a=read&c=12" (LINE allows 300 chars)."""
    return urlencode({"a": action, **ids})


def normalize(text: str) -> str:
    """NFKC (full/half width), no spaces: for comparing names, codes and commands."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))



def unpack(data: str | None) -> dict[str, str]:
    """The postback's fields: unpack("a=read&c=12") -> {"a": "read", "c": "12"}."""
    return dict(parse_qsl(data or ""))
