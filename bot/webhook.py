"""POST /callback: verify the signature on the raw body, check and store the events, answer 200.

Handling (and the reply call to LINE) happens on the handling pool (bot/workers.py), never on
the request's thread: a slow LINE cannot delay the 200 LINE waits for.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from flask import Blueprint, Response, abort, request

from bot.inbox import MalformedWebhook, handle_all, parse_body, store
from bot.state import kairan

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def valid_signature(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.encode("utf-8", "replace"))


@bp.post("/callback")
def callback() -> Response:
    k = kairan()
    body = request.get_data(cache=False)  # the raw bytes, before anything parses them
    if not valid_signature(k.settings.channel_secret, body, request.headers.get("X-Line-Signature")):
        log.warning("webhook with a missing or wrong signature refused")
        abort(400, "invalid signature")
    try:
        events = parse_body(body)
    except MalformedWebhook as e:
        log.warning("malformed webhook refused: %s", e)
        abort(400, "malformed body")
    new_ids = store(k.db, events)
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
