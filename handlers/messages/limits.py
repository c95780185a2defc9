"""LINE Messaging API limits that the OpenAPI spec does not encode.

The spec (``tests/spec/messaging-api.yml``) gives shapes and a few limits (quick reply <= 13 items,
postback ``data`` <= 300, 1-5 messages, multicast ``to`` <= 500).  The prose reference has many more;
line-bot-sdk checks none of them and LINE answers 400.  This module checks them on camelCase dicts as
produced by line-bot-sdk's ``.to_dict()``.  Stdlib only, so the bot can call it before every send.

REF = https://developers.line.biz/en/reference/messaging-api/ ; DOC = .../en/docs/messaging-api/
(see ``shared/notes/line-platform.md`` section 4).

=======================================  ============================  ==============================
Item                                     Limit                         Source
=======================================  ============================  ==============================
text message ``text``                    1-5,000 UTF-16 units          REF #text-message
``altText`` (flex: required)             1-1,500 UTF-16 units          REF #flex-message
quick reply                              <= 13 items, action required  REF #items-object
quick reply action ``label``             required, <= 20 graphemes     REF #action-object-label-spec
flex button action ``label``             required, <= 40 graphemes     REF #action-object-label-spec
other flex component action ``label``    optional, <= 40 graphemes     REF #action-object-label-spec
postback ``data`` / ``displayText``      <= 300 / <= 300 graphemes     REF #postback-action
message action ``text``                  1-300 graphemes               REF #message-action
uri action ``uri``                       <= 1,000; http/https/line/tel REF #uri-action
datetimepicker ``data``                  <= 300                        REF #datetime-picker-action
clipboard ``clipboardText``              <= 1,000                      REF #clipboard-action
camera / cameraRoll / location action    quick reply items only        REF #camera-action, #location-action
richmenuswitch action                    rich menus only               REF #richmenu-switch-action
flex bubble JSON                         <= 30 KB (30,000 bytes)       REF #bubble
flex carousel                            <= 12 bubbles, <= 50 KB       REF #f-carousel
flex ``text`` component                  non-empty ``text`` or spans   REF #f-text
image / icon / video URLs                https only                    REF #f-image, #image-message
reply / push / multicast                 1-5 messages; reply needs     REF #send-reply-message,
                                         ``replyToken``, push ``to``,  #send-push-message,
                                         multicast 1-500 unique ids    #send-multicast-message
=======================================  ============================  ==============================

Counting (DOC text-character-count/): lengths are UTF-16 code units (emoji and non-BMP kanji count 2),
except labels, ``displayText`` and message-action ``text``, which count grapheme clusters.  ``grapheme_len``
approximates UAX #29: combining marks (Mn/Mc/Me), variation selectors, emoji skin-tone modifiers and tag
characters join the preceding character, a ZWJ joins the next one to it, and regional-indicator pairs
(flags) count once.  Hangul jamo sequences and other rare rules are not modelled (they over-count, which
errs on the safe side).  Sizes: the reference says "30 KB"/"50 KB" without defining KB, so we use
30,000/50,000 bytes of compact UTF-8 JSON, the conservative reading.
"""

from __future__ import annotations

import json
import unicodedata

from models.messaging import MULTICAST_MAX

TEXT_MAX = 5000
ALT_TEXT_MAX = 1500
QUICK_REPLY_MAX_ITEMS = 13
QUICK_REPLY_LABEL_MAX = 20
FLEX_LABEL_MAX = 40
ACTION_TEXT_MAX = 300  # postback data/displayText, message text, datetimepicker data
URI_MAX = 1000
CLIPBOARD_MAX = 1000
URI_SCHEMES = ("http", "https", "line", "tel")
BUBBLE_MAX_BYTES = 30_000
CAROUSEL_MAX_BYTES = 50_000
CAROUSEL_MAX_BUBBLES = 12
MAX_MESSAGES = 5
MULTICAST_MAX_TO = MULTICAST_MAX  # defined once, where the outbox chunks by it
QUICK_REPLY_ONLY_ACTIONS = ("camera", "cameraRoll", "location")

REQUEST_KINDS = ("reply", "push", "multicast")
_ZWJ = "\u200d"


class LineLimitError(ValueError):
    """Raised by :func:`assert_valid`; ``violations`` holds every problem found."""

    def __init__(self, violations: list[str]):
        super().__init__("LINE limits violated:\n  " + "\n  ".join(violations))
        self.violations = violations


def utf16_len(s: str) -> int:
    """Length in UTF-16 code units, the unit LINE counts "characters" in."""
    return len(s.encode("utf-16-le")) // 2


def grapheme_len(s: str) -> int:
    """Approximate number of user-perceived characters (see module docstring)."""
    count, join_next, open_flag = 0, False, False
    for ch in s:
        cp = ord(ch)
        if ch == _ZWJ:
            join_next = True
            continue
        if join_next:  # e.g. the woman in man+ZWJ+woman
            join_next = False
            continue
        if (
            unicodedata.category(ch) in ("Mn", "Mc", "Me")
            or 0xFE00 <= cp <= 0xFE0F  # variation selectors
            or 0x1F3FB <= cp <= 0x1F3FF  # skin-tone modifiers
            or 0xE0020 <= cp <= 0xE007F  # tag characters (subdivision flags)
        ):
            continue
        if 0x1F1E6 <= cp <= 0x1F1FF:  # regional indicators pair up into one flag
            open_flag = not open_flag
            if not open_flag:
                continue
        else:
            open_flag = False
        count += 1
    return count


def json_size(obj) -> int:
    """Bytes of compact UTF-8 JSON, as LINE measures Flex sizes."""
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _as_dict(obj) -> dict:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _text(out: list[str], path: str, value, limit: int, *, required=False, graphemes=False) -> None:
    """Check an optional or required string against a length limit."""
    if value is None:
        if required:
            out.append(f"{path}: required")
        return
    if not isinstance(value, str):
        out.append(f"{path}: must be a string")
        return
    if required and not value:
        out.append(f"{path}: must not be empty")
    n, unit = (grapheme_len(value), "characters") if graphemes else (utf16_len(value), "UTF-16 units")
    if n > limit:
        out.append(f"{path}: {n} {unit} > {limit}")


def _https(out: list[str], path: str, url) -> None:
    if isinstance(url, str) and not url.startswith("https://"):
        out.append(f"{path}: must be an https:// URL, got {url[:60]!r}")


def _check_action(out: list[str], path: str, action, where: str) -> None:
    """``where`` is "quickReply", "flexButton" or "flex" (any other Flex component)."""
    if not isinstance(action, dict):
        out.append(f"{path}: required")
        return
    kind = action.get("type")
    if where == "quickReply":
        _text(out, f"{path}.label", action.get("label"), QUICK_REPLY_LABEL_MAX, required=True, graphemes=True)
    else:
        _text(out, f"{path}.label", action.get("label"), FLEX_LABEL_MAX,
              required=where == "flexButton", graphemes=True)
    if kind in QUICK_REPLY_ONLY_ACTIONS and where != "quickReply":
        out.append(f"{path}: {kind} action is only allowed in quick reply items")
    elif kind == "richmenuswitch":
        out.append(f"{path}: richmenuswitch action is only allowed in rich menus")
    elif kind == "postback":
        _text(out, f"{path}.data", action.get("data"), ACTION_TEXT_MAX, required=True)
        _text(out, f"{path}.displayText", action.get("displayText"), ACTION_TEXT_MAX, graphemes=True)
    elif kind == "message":
        _text(out, f"{path}.text", action.get("text"), ACTION_TEXT_MAX, required=True, graphemes=True)
    elif kind == "uri":
        uri = action.get("uri")
        _text(out, f"{path}.uri", uri, URI_MAX, required=True)
        if isinstance(uri, str) and uri.split(":", 1)[0].lower() not in URI_SCHEMES:
            out.append(f"{path}.uri: scheme must be one of {', '.join(URI_SCHEMES)}")
    elif kind == "datetimepicker":
        _text(out, f"{path}.data", action.get("data"), ACTION_TEXT_MAX, required=True)
    elif kind == "clipboard":
        _text(out, f"{path}.clipboardText", action.get("clipboardText"), CLIPBOARD_MAX, required=True)


def _walk_flex(out: list[str], path: str, node) -> None:
    """Visit every Flex object (blocks, boxes, components, spans) generically."""
    if isinstance(node, list):
        for i, child in enumerate(node):
            _walk_flex(out, f"{path}[{i}]", child)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "text" and not node.get("text") and not node.get("contents"):
        out.append(f"{path}.text: flex text needs non-empty text (or span contents)")
    if kind in ("image", "icon", "video"):
        _https(out, f"{path}.url", node.get("url"))
    if kind == "video":
        _https(out, f"{path}.previewUrl", node.get("previewUrl"))
    if "action" in node:
        _check_action(out, f"{path}.action", node["action"], "flexButton" if kind == "button" else "flex")
    elif kind == "button":
        out.append(f"{path}.action: required")
    for key, child in node.items():
        if key != "action" and isinstance(child, (dict, list)):
            _walk_flex(out, f"{path}.{key}", child)


def _check_flex_container(out: list[str], path: str, container) -> None:
    if not isinstance(container, dict):
        out.append(f"{path}: required")
        return
    if container.get("type") == "carousel":
        bubbles = container.get("contents") or []
        if len(bubbles) > CAROUSEL_MAX_BUBBLES:
            out.append(f"{path}.contents: {len(bubbles)} bubbles > {CAROUSEL_MAX_BUBBLES}")
        if (size := json_size(container)) > CAROUSEL_MAX_BYTES:
            out.append(f"{path}: carousel JSON is {size} bytes > {CAROUSEL_MAX_BYTES}")
        for i, bubble in enumerate(bubbles):
            _check_bubble(out, f"{path}.contents[{i}]", bubble)
    else:
        _check_bubble(out, path, container)


def _check_bubble(out: list[str], path: str, bubble) -> None:
    if (size := json_size(bubble)) > BUBBLE_MAX_BYTES:
        out.append(f"{path}: bubble JSON is {size} bytes > {BUBBLE_MAX_BYTES}")
    _walk_flex(out, path, bubble)


def check_message(msg: dict) -> list[str]:
    """Return the limit violations of one message object (empty list = OK)."""
    msg, out = _as_dict(msg), []
    if not isinstance(msg, dict):
        return ["message: must be an object"]
    kind = msg.get("type")
    if kind == "text":
        _text(out, "text", msg.get("text"), TEXT_MAX, required=True)
    if kind in ("flex", "template", "imagemap") or "altText" in msg:
        _text(out, "altText", msg.get("altText"), ALT_TEXT_MAX, required=True)
    if kind == "flex":
        _check_flex_container(out, "contents", msg.get("contents"))
    if kind in ("image", "video"):
        _https(out, "originalContentUrl", msg.get("originalContentUrl"))
        _https(out, "previewImageUrl", msg.get("previewImageUrl"))
    quick = msg.get("quickReply")
    if isinstance(quick, dict):
        items = quick.get("items") or []
        if len(items) > QUICK_REPLY_MAX_ITEMS:
            out.append(f"quickReply.items: {len(items)} items > {QUICK_REPLY_MAX_ITEMS}")
        for i, item in enumerate(items):
            item = item if isinstance(item, dict) else {}
            _https(out, f"quickReply.items[{i}].imageUrl", item.get("imageUrl"))
            _check_action(out, f"quickReply.items[{i}].action", item.get("action"), "quickReply")
    return out


def check_request(kind: str, body: dict) -> list[str]:
    """Return the limit violations of a reply/push/multicast request body (empty list = OK)."""
    if kind not in REQUEST_KINDS:
        raise ValueError(f"kind must be one of {REQUEST_KINDS}, not {kind!r}")
    body, out = _as_dict(body), []
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= MAX_MESSAGES:
        out.append(f"messages: need 1-{MAX_MESSAGES} message objects")
        messages = messages if isinstance(messages, list) else []
    for i, msg in enumerate(messages):
        out += [f"messages[{i}].{v}" for v in check_message(msg)]
    to = body.get("to")
    if kind == "reply" and not (isinstance(body.get("replyToken"), str) and body["replyToken"]):
        out.append("replyToken: required")
    elif kind == "push" and not (isinstance(to, str) and to):
        out.append("to: required (one user, group or room ID)")
    elif kind == "multicast":
        if not isinstance(to, list) or not 1 <= len(to) <= MULTICAST_MAX_TO:
            got = len(to) if isinstance(to, list) else repr(to)
            out.append(f"to: need 1-{MULTICAST_MAX_TO} user IDs, got {got}")
        elif len(set(map(str, to))) != len(to):
            out.append("to: user IDs must be unique")
        elif not all(isinstance(u, str) and u for u in to):
            out.append("to: user IDs must be non-empty strings")
    return out


def assert_valid(obj: dict, kind: str | None = None) -> None:
    """Raise :class:`LineLimitError` (a ``ValueError``) listing every violation.

    ``kind=None`` checks one message object; otherwise ``obj`` is a request body of that kind.
    """
    violations = check_message(obj) if kind is None else check_request(kind, obj)
    if violations:
        raise LineLimitError(violations)
