"""LINE simulator: play several LINE users side by side at /simulator (simulator mode only).

Nothing here takes a shortcut into the bot. Each tap or message becomes a complete webhook event
of the shape LINE sends (webhook.yml), wrapped in a callback body, signed with the channel
secret and POSTed to /callback, so it goes through the signature check, the inbox and the
router like a real one. The bot answers through its real line-bot-sdk client, over HTTP, to a
fake LINE API (bot/dev/fake_line.py) mounted in this same app at /_fake_line; the page shows what
that fake received for each user.

JSON API (POSTs need the header ``X-Kairan-Simulator: 1``, which a cross-site form cannot send):

    GET  /simulator/api/users                       demo members, LINE households, city staff, added
                                                    people (each with its channel)
    POST /simulator/api/users     {name, follow?, channel?}  a new LINE user (follows the bot by
                                                    default) on a channel (an id; default: the first)
    POST /simulator/api/send      {user_id, kind, ...}  kind: text|postback|follow|unfollow|
                                                    location|image|file|sticker (image/file: multipart;
                                                    sticker: packageId, stickerId)
    GET  /simulator/api/messages?user_id=&after=    what the bot sent to the user, and what they sent
    POST /simulator/api/dispatch                    run the outbox dispatcher once, now
    GET  /simulator/api/clock                       the bot's clock (Japan time) and how far it was moved
    POST /simulator/api/clock     {minutes}         move the bot's clock forward (1 min .. 7 days), then
                                                    run the timed jobs once (reminders, re-asks, planned
                                                    drills, 見守り) and the outbox: hours shown in minutes
    GET  /simulator/api/content/<message_id>        bytes of an image/file a user sent
    GET  /simulator/font                            a Japanese font for the page (see `font`)

In simulator mode every request must name a loopback host (localhost, 127.0.0.1, [::1], or the
host of KAIRAN_BASE_URL; any port), so that a web page whose name is made to resolve to
127.0.0.1 (DNS rebinding) cannot drive it; KAIRAN_SIMULATOR_REMOTE=1 lifts both this and the
this-machine-only check for a training session on a trusted network.

Channels: every person talks to one channel, the one their association's residents use (its
own, else the city's; the environment's when the database has none), and the page says which.
Their events carry that channel's `destination` and are signed with its secret; the fake LINE
API accepts every channel's token (and the environment's), and only those. A person added on
the page picks the channel (`channel`: a channel id, or none for the environment's).

The simulator keeps its state (the fake LINE, added people, what users sent) in memory in one
process: serve it from a single process with threads (the bot calls the fake over HTTP while a
request is running, so a single-threaded server would wait on itself).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, render_template, request, send_file
from sqlalchemy import select
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from bot.dev.demo import demo_user_id
from bot.dev.fake_line import FakeLine
from bot.outbox import dispatch_once
from scheduler.runner import run_timed_once
from bot.state import kairan
from bot.webhook import signature
from handlers.messages import texts
from handlers.messages.limits import ACTION_TEXT_MAX, TEXT_MAX
from handlers.messages.menu_images import find_font
from models import Association, CityStaff, Household, Member, MemberStatus, Municipality, utcnow
from models.base import advance_clock, clock_shift
from models.roster import current_association
from models.tenancy import channel_id_for

bp = Blueprint("simulator", __name__, url_prefix="/simulator")

FAKE_PATH = "/_fake_line"
HEADER = "X-Kairan-Simulator"
USER_ID = re.compile(r"^U[0-9a-f]{32}$")
KINDS = ("text", "postback", "follow", "unfollow", "location", "image", "file", "sticker")
POSTBACK_MAX = ACTION_TEXT_MAX
NAME_MAX = 30
LOG_MAX = 500  # items kept per user of what they sent
STATUS_LABELS = {
    MemberStatus.registering: "登録中",
    MemberStatus.pending: "承認待ち",
    MemberStatus.unfollowed: "ブロック中",
    MemberStatus.declined: "同意せず",
    MemberStatus.withdrawn: "退会済み",
}
# Stickers for the sticker picker: LINE's own free stickers (package 446), shown as an emoji and a
# word (the page cannot fetch LINE's images); the event carries the ids and keywords as LINE's does.
STICKERS = [
    {"packageId": "446", "stickerId": "1988", "emoji": "👍", "keywords": ["OK", "いいね"]},
    {"packageId": "446", "stickerId": "1989", "emoji": "🙇", "keywords": ["ありがとう", "Thanks"]},
    {"packageId": "446", "stickerId": "1990", "emoji": "😊", "keywords": ["よろしく", "Hello"]},
    {"packageId": "446", "stickerId": "2000", "emoji": "🙆", "keywords": ["了解", "Got it"]},
]
STICKER_ID = re.compile(r"^\d{1,20}$")
# Places in the demo town for the location picker (the page shows them as presets).
PLACES = [
    {"title": "東町会館", "address": "東京都千代田区東町1-2-3", "latitude": 35.6812, "longitude": 139.7671},
    {"title": "東町公園（避難場所）", "address": "東京都千代田区東町2-5", "latitude": 35.6830, "longitude": 139.7702},
    {"title": "東町小学校", "address": "東京都千代田区東町3-1-1", "latitude": 35.6794, "longitude": 139.7648},
]


# --- webhook events, as LINE builds them --------------------------------------------------------
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(now_ms: int | None = None) -> str:
    """A ULID (26 characters, Crockford base32): 48 bits of milliseconds, 80 random bits."""
    ms = int(utcnow().timestamp() * 1000) if now_ms is None else now_ms
    value = ((ms & (2 ** 48 - 1)) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def message_id() -> str:
    """LINE message ids are decimal strings of 18 digits."""
    return str(10 ** 17 + secrets.randbelow(9 * 10 ** 17))


def quote_token() -> str:
    return secrets.token_urlsafe(96)


def new_user_id() -> str:
    return "U" + secrets.token_hex(16)


def bot_user_id(secret: str) -> str:
    """The `destination` of the callback body: the bot's own user id (stable per channel)."""
    return "U" + hashlib.sha256(f"kairan-simulator-bot:{secret}".encode()).hexdigest()[:32]


def build_event(kind: str, user_id: str, reply_token: str | None = None, *, now_ms: int | None = None,
                **f: Any) -> dict:
    """One complete webhook event of `kind` from `user_id`, field for field as LINE sends it.

    text: text · postback: data, params (date/time/datetime) · follow: is_unblocked ·
    location: latitude, longitude, title, address · image: message_id · file: message_id,
    file_name, file_size · sticker: package_id, sticker_id, keywords. Every kind but unfollow carries `reply_token` (required then).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    ms = int(utcnow().timestamp() * 1000) if now_ms is None else now_ms
    etype = kind if kind in ("postback", "follow", "unfollow") else "message"
    e: dict[str, Any] = {"type": etype, "mode": "active", "timestamp": ms,
                         "source": {"type": "user", "userId": user_id},
                         "webhookEventId": ulid(ms), "deliveryContext": {"isRedelivery": False}}
    if kind != "unfollow":  # LINE gives no reply token for unfollow (there is no one to answer)
        if not reply_token:
            raise ValueError(f"a {kind} event needs a reply token")
        e["replyToken"] = reply_token
    if kind == "follow":
        e["follow"] = {"isUnblocked": bool(f.get("is_unblocked"))}
    elif kind == "postback":
        e["postback"] = {"data": f["data"]}
        if f.get("params"):
            e["postback"]["params"] = dict(f["params"])
    elif kind == "text":
        e["message"] = {"id": f.get("message_id") or message_id(), "type": "text", "text": f["text"],
                        "quoteToken": quote_token()}
    elif kind == "location":
        m: dict[str, Any] = {"id": f.get("message_id") or message_id(), "type": "location"}
        for key in ("title", "address"):
            if f.get(key):
                m[key] = f[key]
        m["latitude"], m["longitude"] = float(f["latitude"]), float(f["longitude"])
        e["message"] = m
    elif kind == "image":
        e["message"] = {"id": f["message_id"], "type": "image", "contentProvider": {"type": "line"},
                        "quoteToken": quote_token()}
    elif kind == "sticker":
        e["message"] = {"id": f.get("message_id") or message_id(), "type": "sticker", "packageId": f["package_id"],
                        "stickerId": f["sticker_id"], "stickerResourceType": "STATIC", "quoteToken": quote_token()}
        if f.get("keywords"):
            e["message"]["keywords"] = list(f["keywords"])
    elif kind == "file":  # LINE gives file messages no quote token
        e["message"] = {"id": f["message_id"], "type": "file", "fileName": f["file_name"],
                        "fileSize": int(f["file_size"])}
    return e


def callback_body(destination: str, events: list[dict]) -> bytes:
    """The exact bytes LINE would POST (compact JSON, UTF-8, not ASCII-escaped)."""
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False,
                      separators=(",", ":")).encode()


# --- the simulator's own state ------------------------------------------------------------------
@dataclass
class Simulator:
    fake: FakeLine
    destination: str
    added: dict[str, str] = field(default_factory=dict)  # people added on the page: id -> name
    added_channel: dict[str, int | None] = field(default_factory=dict)  # … and the channel they talk to
    friend: dict[str, bool] = field(default_factory=dict)  # follow state, once known here
    blocked_once: set[str] = field(default_factory=set)
    sent: dict[str, list[dict]] = field(default_factory=dict)  # what each user sent, for display
    lock: threading.Lock = field(default_factory=threading.Lock)

    def log(self, user_id: str, item: dict) -> dict:
        # The fake's own counter orders the user's items among the bot's messages; taking it
        # under the fake's lock means a poll never sees a later seq before an earlier one.
        with self.fake._lock:
            item = {"seq": next(self.fake._seq), "from": "user", "at": int(utcnow().timestamp() * 1000), **item}
            items = self.sent.setdefault(user_id, [])
            items.append(item)
            del items[:-LOG_MAX]
        return item

    def items_for(self, user_id: str, after: int) -> list[dict]:
        with self.fake._lock:
            bot = [{"seq": d.seq, "from": "bot", "via": d.via, "message": d.message}
                   for d in self.fake.messages_for(user_id, after)]
            own = [dict(i) for i in self.sent.get(user_id, []) if i["seq"] > after]
        return sorted(bot + own, key=lambda i: (i["seq"], i["from"] == "bot"))


def sim() -> Simulator:
    return kairan().extras["simulator"]


def init_app(app: Flask) -> None:
    """Mount a fake LINE API at /_fake_line and the simulator at /simulator (simulator mode)."""
    k = app.extensions["kairan"]
    fake = FakeLine()
    k.extras["fake_line"] = fake
    k.extras["simulator"] = Simulator(fake, bot_user_id(k.settings.channel_secret))
    # the fake LINE knows every channel by its token (named as channel_name), and only those
    fake.strict_tokens = True
    fake.token_source = lambda: {**{e.token: channel_name(e.id) for e in k.channels.entries()},
                                 **({k.settings.channel_access_token: channel_name(None)} if k.settings.env_channel else {})}
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {FAKE_PATH: fake.app()})
    if not k.settings.simulator_remote:  # outermost: the fake LINE API too
        app.wsgi_app = LoopbackHostOnly(app.wsgi_app, also=urlsplit(k.settings.base_url).hostname)
    app.register_blueprint(bp)


# --- DNS rebinding ------------------------------------------------------------------------------
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_HOST = re.compile(r"(?:\[(?P<v6>[^\]]+)\]|(?P<name>[^:\[\]]+))(?::(?P<port>\d{1,5}))?")


def loopback_host(host: str | None, also: str | None = None) -> bool:
    """Is this Host header a loopback name (localhost, 127.0.0.1, [::1]) — or `also`, the host
    name the operator configured in KAIRAN_BASE_URL — with any port?"""
    m = _HOST.fullmatch((host or "").strip().lower())
    return bool(m) and ((m["v6"] or m["name"]) in LOOPBACK_NAMES or (m["v6"] or m["name"]) == (also or "").lower())


class LoopbackHostOnly:
    """A page on another site whose name resolves to 127.0.0.1 (DNS rebinding) would reach the
    simulator as its own origin and could play every member: in simulator mode every request
    must name a loopback host (KAIRAN_SIMULATOR_REMOTE=1 lifts this for a trusted network)."""

    def __init__(self, app, also: str | None = None):
        self.app, self.also = app, also

    def __call__(self, environ, start_response):
        if loopback_host(environ.get("HTTP_HOST") or environ.get("SERVER_NAME"), self.also):
            return self.app(environ, start_response)
        body = (b"the simulator answers only to http://localhost, http://127.0.0.1 or http://[::1] "
                b"(set KAIRAN_SIMULATOR_REMOTE=1 to open it under another name)\n")
        start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body)))])
        return [body]


# --- channels -------------------------------------------------------------------------------------
def channel_name(channel_id: int | None) -> str:
    """How the fake LINE names a channel's token: 'env', or 'channel:<id>'."""
    return "env" if channel_id is None else f"channel:{channel_id}"


ENV_LABEL = "環境変数のチャネル"


def channel_choices() -> list[dict]:
    """The channels a person added on the page may talk to: every channel row, else the environment's."""
    k = kairan()
    rows = [{"id": e.id, "label": e.label} for e in k.channels.entries()]
    return rows or [{"id": None, "label": ENV_LABEL}]


def channel_label(channel_id: int | None) -> str:
    if channel_id is None:
        return ENV_LABEL
    entry = kairan().channels.by_id(channel_id)
    return entry.label if entry else f"channel {channel_id} (gone)"


def _user_channel(uid: str) -> int | None:
    """The channel a person talks to: picked when added on the page, else the one their
    association's residents use (a member's, or a LINE household's of the roster), else the
    environment's."""
    s_ = sim()
    if uid in s_.added_channel:
        return s_.added_channel[uid]
    k = kairan()
    with k.db.session() as s:
        staff = s.scalar(select(CityStaff.channel_id).where(CityStaff.line_user_id == uid, CityStaff.active.is_(True))
                         .limit(1))
        if staff is not None:
            return staff
        assoc_id = s.scalar(select(Member.association_id).where(Member.line_user_id == uid)
                            .order_by(Member.id.desc()).limit(1))
        if assoc_id is None:
            assoc_id = next((h.association_id for h in s.scalars(select(Household).where(Household.on_line.is_(True)))
                             if demo_user_id(h.name) == uid), None)
        return channel_id_for(s, assoc_id)


# --- who can be played --------------------------------------------------------------------------
def list_users() -> list[dict]:
    """Everyone the page can play: each association's members and LINE households (grouped by
    association and 班), the city staff, and the people added on the page; each with the channel
    they talk to."""
    k, s_ = kairan(), sim()
    out: list[dict] = []
    seen: set[str] = set()
    with k.db.session() as s:
        associations = s.scalars(select(Association).order_by(Association.id)).all()
        several = len(associations) > 1
        for assoc in associations:
            channel_id = channel_id_for(s, assoc.id)
            chan = {"association": assoc.name if several else "", "channel_id": channel_id,
                    "channel": channel_label(channel_id)}
            members = s.scalars(select(Member).where(Member.association_id == assoc.id,
                                                     Member.line_user_id.is_not(None))).all()
            households = s.scalars(select(Household).where(Household.association_id == assoc.id)).all()
            linked = {m.household_id for m in members if m.household_id}
            rows: list[tuple[tuple, dict]] = []
            for m in members:
                block = m.household.block if m.household else m.block
                if m.status in (MemberStatus.active, MemberStatus.pending):
                    label = texts.ROLE_LABELS.get(m.role, "")
                else:
                    label = STATUS_LABELS.get(m.status, "")
                name = m.name or s_.added.get(m.line_user_id) or "（名前未登録）"
                user = {"id": m.line_user_id, "name": name, "block": block.name if block else "",
                        "role": m.role.value if m.status == MemberStatus.active else "",
                        "label": label, "status": m.status.value, "kind": "member",
                        "friend": s_.friend.get(m.line_user_id, m.status != MemberStatus.unfollowed), **chan}
                if m.line_user_id in s_.added_channel:  # added on the page: the channel they picked
                    user.update(channel_id=s_.added_channel[m.line_user_id],
                                channel=channel_label(s_.added_channel[m.line_user_id]))
                user["blocked"] = not user["friend"] and (m.status == MemberStatus.unfollowed
                                                          or m.line_user_id in s_.blocked_once)
                rows.append(((block.position if block else 999, m.household_id or 10 ** 9, m.id), user))
            for h in households:
                if h.id in linked or not h.on_line:
                    continue
                uid = demo_user_id(h.name)
                rows.append(((h.block.position, h.id, 0), {
                    "id": uid, "name": h.name, "block": h.block.name, "role": "", "label": "LINE未登録",
                    "status": "none", "kind": "household", "friend": s_.friend.get(uid, False),
                    "blocked": uid in s_.blocked_once and not s_.friend.get(uid, False), **chan}))
            for _, user in sorted(rows, key=lambda r: r[0]):
                if user["id"] not in seen:
                    seen.add(user["id"])
                    out.append(user)
        for staff in s.scalars(select(CityStaff).where(CityStaff.active.is_(True)).order_by(CityStaff.id)):
            if staff.line_user_id in seen:
                continue
            seen.add(staff.line_user_id)
            city = s.get(Municipality, staff.municipality_id)
            out.append({"id": staff.line_user_id, "name": staff.name or "（名前未登録）", "block": "",
                        "role": "city_staff", "label": "市の担当者", "status": "active", "kind": "staff",
                        "association": city.name if city else "", "channel_id": staff.channel_id,
                        "channel": channel_label(staff.channel_id),
                        "friend": s_.friend.get(staff.line_user_id, True),
                        "blocked": staff.line_user_id in s_.blocked_once
                        and not s_.friend.get(staff.line_user_id, True)})
    for uid, name in list(s_.added.items()):
        if uid not in seen:
            chosen = s_.added_channel.get(uid)
            out.append({"id": uid, "name": name, "block": "", "role": "", "label": "新しい人", "status": "none",
                        "kind": "new", "friend": s_.friend.get(uid, False), "association": "",
                        "channel_id": chosen, "channel": channel_label(chosen),
                        "blocked": uid in s_.blocked_once and not s_.friend.get(uid, False)})
    for u in out:  # the fake's profile API answers with these names
        s_.fake.profiles[u["id"]] = u["name"]
    return out


# --- pages and API ------------------------------------------------------------------------------
def _error(status: int, message: str):
    return jsonify({"error": message}), status


LOOPBACK = ("127.0.0.1", "::1")


@bp.before_request
def _guard():
    # Anyone who reaches the simulator can act as any member: only from this machine, unless
    # KAIRAN_SIMULATOR_REMOTE=1 is set for a training session on a trusted network.
    if request.remote_addr not in LOOPBACK and not kairan().settings.simulator_remote:
        return _error(403, "the simulator answers only on this machine (set KAIRAN_SIMULATOR_REMOTE=1)")
    if request.method == "POST" and request.headers.get(HEADER) != "1":
        return _error(403, f"header {HEADER}: 1 required")
    return None


@bp.get("")
@bp.get("/")
def page() -> str:
    k = kairan()
    users = list_users()
    opened = [u for u in request.args.get("open", "").split(",") if USER_ID.match(u)]
    return render_template("simulator.html", users=users, opened=opened, places=PLACES, stickers=STICKERS,
                           base_url=k.settings.base_url, association=_association_name(), header=HEADER,
                           channels=channel_choices())


@bp.get("/font")
def font() -> Response:
    """A Japanese font for the page on a bare Linux (no fonts-noto-cjk / fonts-ipafont-gothic): the
    rich-menu images' font, which comes with the project's dependencies (noto-cjk-sans-jp-bold;
    else Debian's IPA Gothic). simulator.css names it last, for Japanese only, so a browser that has
    a Japanese font of its own never loads it."""
    path = find_font()
    if path is None:
        abort(404)
    mimetype = "font/otf" if path.suffix.lower() == ".otf" else "font/ttf"
    return send_file(path, mimetype=mimetype, max_age=7 * 24 * 3600)


def _association_name() -> str | None:
    """The title: the municipality's name when there is one, else the association's."""
    k = kairan()
    with k.db.session() as s:
        city = s.scalar(select(Municipality.name).order_by(Municipality.id).limit(1))
        if city is not None:
            return city
        try:
            return current_association(s, k.settings.association_slug).name
        except RuntimeError:
            return None


@bp.get("/api/users")
def users_api():
    return jsonify({"users": list_users()})


@bp.post("/api/users")
def create_user():
    data = request.get_json(silent=True) or {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > NAME_MAX:
        return _error(400, f"name: 1〜{NAME_MAX}文字で入力してください")
    choices = channel_choices()
    if "channel" in data:
        chosen = data.get("channel")
        if chosen not in [c["id"] for c in choices]:
            return _error(400, "channel: " + " / ".join(str(c["id"]) for c in choices))
    else:
        chosen = choices[0]["id"]
    uid = new_user_id()
    s_ = sim()
    with s_.lock:
        s_.added[uid] = name
        s_.added_channel[uid] = chosen
        s_.friend[uid] = False
    s_.fake.profiles[uid] = name
    out: dict[str, Any] = {"user": {"id": uid, "name": name, "channel_id": chosen, "channel": channel_label(chosen)}}
    if data.get("follow", True):
        out["follow"] = _send(uid, "follow", {})
    return jsonify(out), 201


def _payload() -> tuple[dict, Any]:
    """The send request as a dict (JSON or multipart form) and the uploaded file, if any."""
    if request.mimetype == "multipart/form-data":
        return request.form.to_dict(), request.files.get("file")
    return (request.get_json(silent=True) or {}), None


@bp.post("/api/send")
def send_api():
    data, upload = _payload()
    uid, kind = str(data.get("user_id") or ""), str(data.get("kind") or "")
    if not USER_ID.match(uid):
        return _error(400, "user_id: U + 32 hex digits")
    if kind not in KINDS:
        return _error(400, f"kind: one of {', '.join(KINDS)}")
    try:
        fields = _fields(kind, data, upload)
    except ValueError as e:
        return _error(400, str(e))
    return jsonify(_send(uid, kind, fields))


def _fields(kind: str, data: dict, upload) -> dict:
    """Check the page's input and turn it into build_event's fields (ValueError when invalid)."""
    if kind == "text":
        text = str(data.get("text") or "")
        if not text.strip() or len(text) > TEXT_MAX:
            raise ValueError(f"text: 1〜{TEXT_MAX}文字")
        return {"text": text}
    if kind == "postback":
        pb = str(data.get("data") or "")
        if not pb or len(pb) > POSTBACK_MAX:
            raise ValueError(f"data: 1〜{POSTBACK_MAX}文字")
        params = data.get("params") or {}
        if isinstance(params, str):
            params = json.loads(params or "{}")
        if not isinstance(params, dict) or not set(params) <= {"date", "time", "datetime"} \
                or not all(isinstance(v, str) for v in params.values()):
            raise ValueError("params: date / time / datetime (strings) only")
        display = str(data.get("displayText") or "")[:ACTION_TEXT_MAX]
        return {"data": pb, "params": params, "display_text": display}
    if kind == "location":
        try:
            lat, lng = float(data.get("latitude")), float(data.get("longitude"))
        except (TypeError, ValueError):
            raise ValueError("latitude / longitude: numbers") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ValueError("latitude / longitude out of range")
        return {"latitude": lat, "longitude": lng, "title": str(data.get("title") or "")[:100],
                "address": str(data.get("address") or "")[:200]}
    if kind == "sticker":
        package, sticker = str(data.get("packageId") or ""), str(data.get("stickerId") or "")
        if not STICKER_ID.match(package) or not STICKER_ID.match(sticker):
            raise ValueError("packageId / stickerId: digits")
        known = next((x for x in STICKERS if (x["packageId"], x["stickerId"]) == (package, sticker)), None)
        return {"package_id": package, "sticker_id": sticker, "keywords": known["keywords"] if known else [],
                "emoji": known["emoji"] if known else ""}
    if kind in ("image", "file"):
        if upload is None:
            raise ValueError("file: attach the bytes as multipart field 'file'")
        blob = upload.read()
        if not blob:
            raise ValueError("file: empty")
        filename = os.path.basename(upload.filename or ("image.jpg" if kind == "image" else "file.pdf"))[:200]
        ctype = upload.mimetype or "application/octet-stream"
        if ctype == "application/octet-stream" and filename.lower().endswith(".pdf"):
            ctype = "application/pdf"
        if kind == "image" and not ctype.startswith("image/"):
            raise ValueError("image: not an image file")
        return {"blob": blob, "content_type": ctype, "file_name": filename, "file_size": len(blob)}
    return {}


def _send(uid: str, kind: str, f: dict) -> dict:
    """Build the event, log what the user sees of it, sign and POST it to /callback."""
    s_ = sim()
    fake = s_.fake
    unblocked = kind == "follow" and (uid in s_.blocked_once or _member_status(uid) == MemberStatus.unfollowed)
    with s_.lock:
        if kind == "follow":
            s_.friend[uid] = True
        elif kind == "unfollow":
            s_.friend[uid] = False
            s_.blocked_once.add(uid)
    channel_id = _user_channel(uid)
    token = fake.issue_reply_token(uid, channel_name(channel_id)) if kind != "unfollow" else None
    shown: dict[str, Any] = {"kind": kind}
    if kind in ("image", "file"):
        f["message_id"] = message_id()
        fake.content[f["message_id"]] = (f.pop("blob"), f["content_type"])
        shown.update(url=f"{request.script_root}/simulator/api/content/{f['message_id']}",
                     fileName=f["file_name"], fileSize=f["file_size"])
    event = build_event(kind, uid, token, is_unblocked=unblocked, **{k: v for k, v in f.items()
                                                                      if k not in ("display_text", "emoji")})
    if kind == "text":
        shown["text"] = f["text"]
    elif kind == "postback":
        shown.update(data=f["data"], displayText=f.get("display_text") or "", params=f.get("params") or {})
    elif kind == "location":
        shown.update({k: v for k, v in event["message"].items() if k in ("title", "address", "latitude", "longitude")})
    elif kind == "follow":
        shown["isUnblocked"] = unblocked
    elif kind == "sticker":
        shown.update(packageId=f["package_id"], stickerId=f["sticker_id"], emoji=f["emoji"],
                     keywords=f["keywords"])
    item = s_.log(uid, shown)
    entry = kairan().channels.by_id(channel_id)
    if entry is None:  # the channel is gone (or, for the environment's, there is none)
        status = 400
    else:
        status = post_callback(event, entry.bot_user_id or s_.destination, entry.secret)
    item["status"] = status
    return {"status": status, "seq": item["seq"], "event": event, "channel_id": channel_id}


def _member_status(uid: str) -> MemberStatus | None:
    with kairan().db.session() as s:
        return s.scalar(select(Member.status).where(Member.line_user_id == uid).limit(1))


def post_callback(event: dict, destination: str, secret: str | None = None) -> int:
    """Sign the body's exact bytes and POST it to /callback through the whole app; the status."""
    body = callback_body(destination, [event])
    sig = signature(secret if secret is not None else kairan().settings.channel_secret, body)
    resp = current_app.test_client().post("/callback", data=body, headers={
        "X-Line-Signature": sig, "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "LineBotWebhook/2.0"})
    try:
        return resp.status_code
    finally:
        # /callback handles the events in call_on_close (after the answer, as under gunicorn):
        # closing the response runs that here, so the bot's reply exists when this returns.
        resp.close()


@bp.get("/api/messages")
def messages_api():
    uid = request.args.get("user_id", "")
    if not USER_ID.match(uid):
        return _error(400, "user_id: U + 32 hex digits")
    try:
        after = int(request.args.get("after", 0))
    except ValueError:
        return _error(400, "after: an integer")
    items = sim().items_for(uid, after)
    return jsonify({"user_id": uid, "items": items, "last": max([after] + [i["seq"] for i in items])})


@bp.post("/api/dispatch")
def dispatch_api():
    k = kairan()
    return jsonify({"sent": dispatch_once(k.db, k.line, limit=100)})


MAX_CLOCK_STEP = 7 * 24 * 60  # minutes: one move of the clock is at most a week


@bp.get("/api/clock")
def clock_api():
    k = kairan()
    return jsonify(_clock(k))


@bp.post("/api/clock")
def clock_move_api():
    """Forward only, in this process (the simulator's single one): what a resident sees after
    "three hours later" — the scheduler's timed jobs run at once on the moved clock."""
    body = request.get_json(silent=True) or {}
    minutes = body.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_CLOCK_STEP:
        return _error(400, f"minutes: an integer from 1 to {MAX_CLOCK_STEP}")
    k = kairan()
    advance_clock(dt.timedelta(minutes=minutes))
    ran = run_timed_once(k)
    sent = dispatch_once(k.db, k.line, limit=100)
    return jsonify({**_clock(k), "ran": {name: n if isinstance(n, int) else None for name, n in ran.items()},
                    "sent": sent})


def _clock(k) -> dict:
    now = utcnow().astimezone(ZoneInfo(k.settings.timezone))
    return {"now": now.isoformat(timespec="minutes"), "shifted_minutes": int(clock_shift().total_seconds() // 60)}


@bp.get("/api/content/<message_id>")
def content_api(message_id: str) -> Response:
    item = sim().fake.content.get(message_id)
    if item is None:
        abort(404)
    return Response(item[0], mimetype=item[1], headers={"Cache-Control": "private, max-age=3600"})



# --- rich menus (issue 13) ----------------------------------------------------------------------
# Each pane shows the user's current rich menu as the fake LINE holds it (the real image, its
# areas): the menus are deployed to the fake on first sight of a channel (`kairan richmenu deploy`'s
# own code), and relinks arrive through the outbox like on LINE, so the menu switches live.
_deploy_lock = threading.Lock()


def _ensure_menus(channel_id: int | None) -> str | None:
    """Deploy the menus on this channel once (None: done; else the one line why not)."""
    from bot.outbox import client_for
    from bot.richmenus import DeployError, deploy
    from models.richmenus import deployed
    from models.tenancy import ChannelRef

    k = kairan()
    done: set = k.extras.setdefault("richmenus_deployed", set())
    if channel_id in done:
        return None
    with _deploy_lock:
        if channel_id in done:
            return None
        with k.db.session() as s:
            have = deployed(s, channel_id)
            if channel_id is None:
                ref = ChannelRef.env(getattr(current_association(s, k.settings.association_slug), "id", None))
            else:
                from models.tenancy import Channel

                row = s.get(Channel, channel_id)
                ref = row.ref() if row is not None else None
        client = client_for(k.line, channel_id)
        if client is None or ref is None:
            return "no such channel"
        live = set(sim().fake.rich_menus)
        if not have or any(m.line_menu_id not in live for m in have.values()):
            try:
                deploy(k.db, client, channel_id, ref)
            except DeployError as e:
                return str(e)
        done.add(channel_id)
    return None


@bp.get("/api/richmenu")
def richmenu_api():
    """The user's current rich menu: {id, size, chatBarText, areas, image} (id None: none)."""
    uid = request.args.get("user_id", "")
    if not USER_ID.match(uid):
        return _error(400, "user_id: U + 32 hex digits")
    channel = _user_channel(uid)
    problem = _ensure_menus(channel)
    fake = sim().fake
    menu_id = fake.menu_of(uid, channel_name(channel))
    menu = fake.rich_menus.get(menu_id) if menu_id else None
    if menu is None:
        return jsonify({"id": None, "problem": problem})
    body = menu["body"]
    return jsonify({"id": menu_id, "size": body["size"], "chatBarText": body.get("chatBarText"),
                    "areas": body["areas"], "image": request.script_root + f"/simulator/api/richmenu/{menu_id}/image"})


@bp.get("/api/richmenu/<menu_id>/image")
def richmenu_image_api(menu_id: str) -> Response:
    menu = sim().fake.rich_menus.get(menu_id)
    if menu is None or not menu["image"]:
        abort(404)
    return Response(menu["image"], mimetype=menu["content_type"], headers={"Cache-Control": "private, max-age=3600"})
