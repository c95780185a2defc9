"""POST /callback: pick the channel, verify the signature on the raw body, check and store the events, answer 200.

Every channel posts here. Only the body's `destination` (the bot's user id) is read before the
signature check: it picks the channel (bot/channels.py, from memory), and the signature must
verify with that channel's secret. A destination no channel row has is the environment's channel
(LINE_CHANNEL_SECRET), so a deployment without channel rows works as before. Anything else (an
unknown destination, a signature made with another channel's secret) answers 400 and writes nothing.

Handling (and the reply call to LINE) happens on the handling pool (bot/workers.py), never on
the request's thread: a slow LINE cannot delay the 200 LINE waits for.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from flask import Blueprint, Response, abort, request

from bot.inbox import MalformedWebhook, handle_all, parse_body, store
from bot.state import kairan

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)
# LINE's webhook bodies are small (a few events, no content): a body is parsed (for its
# destination) before its signature can be checked, so an unsigned one is bounded first
MAX_BODY = 1024 * 1024


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def valid_signature(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.encode("utf-8", "replace"))


def destination_of(body: bytes) -> tuple[str | None, object]:
    """The body's `destination` (None when it has none, or is not JSON), and the parsed body
    (handed to parse_body once the signature is verified, so it is parsed once)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None
    dest = payload.get("destination") if isinstance(payload, dict) else None
    return (dest if isinstance(dest, str) else None), payload


@bp.post("/callback")
def callback() -> Response:
    k = kairan()
    if (request.content_length or 0) > MAX_BODY:  # nothing of an unsigned body is read past this
        log.warning("webhook refused: a body of %s bytes", request.content_length)
        abort(413)
    body = request.get_data(cache=False)  # the raw bytes, before anything parses them
    if len(body) > MAX_BODY:
        abort(413)
    destination, payload = destination_of(body)
    channel = k.channels.for_webhook(destination)
    if channel is None or not valid_signature(channel.secret, body, request.headers.get("X-Line-Signature")):
        log.warning("webhook refused: %s", "no channel for its destination" if channel is None
                    else "a missing or wrong signature")
        abort(400, "invalid signature")
    if channel.id is None:
        k.channels.env_verified(destination)
    try:
        events = parse_body(body, payload)
    except MalformedWebhook as e:
        log.warning("malformed webhook refused: %s", e)
        abort(400, "malformed body")
    new_ids = store(k.db, events, channel.id)
    response = Response("OK", mimetype="text/plain")
    if new_ids:
        if k.settings.handle_events_inline:
            handle_all(k.processor, new_ids)
        elif k.settings.simulator:
            # the simulator reads the bot's answer as soon as its own request to us closes
            response.call_on_close(lambda: handle_all(k.processor, new_ids))
        else:
            k.pool.submit(new_ids)
    return response
