"""The echo bot plus the least work kairan's durability promises need: the floor under kairan's ratio.

    gunicorn --workers 3 --threads 4 --bind 127.0.0.1:PORT 'bench.floor_bot:create_app()'

Env: as bench/echo_bot.py, plus DATABASE_URL (kairan's database: two tables of its own,
`floor_inbox` and `floor_receipts`, are created there). For every event, on the request's thread:

1. **store** — the event's row inserted (`ON CONFLICT DO NOTHING`: a redelivery adds nothing)
   and committed in its own transaction, as kairan's inbox row must be before the 200;
2. **handle** — one transaction that claims the row (`received` → `processing`), writes one
   effect (the sender's receipt: `read_at`, an indexed single-row UPDATE) and marks the row
   `done` with its payload erased, then commits;
3. **reply** — exactly as the echo bot does (after the commit), then the 200.

No resolve, no router, no handler, no Flex, no pool hand-off: each of those only adds to it. The
engine is kairan's own (models.db.make_engine: WAL and BEGIN IMMEDIATE on SQLite, the idle ping on
PostgreSQL), statements built once. bench/webhook.py --floor runs it beside kairan and the echo
bot: `floor / echo` is the best ratio a design that keeps those promises one event at a time can
reach with this stack on this machine.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from flask import Flask, abort, request
from linebot.v3 import WebhookHandler
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest, TextMessage
from linebot.v3.webhooks import Event
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, bindparam, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from models.base import utcnow  # noqa: E402
from models.db import make_engine  # noqa: E402

meta = MetaData()
inbox = Table("floor_inbox", meta, Column("id", String(40), primary_key=True), Column("payload", Text),
              Column("status", String(12), nullable=False), Column("received_at", DateTime),
              Column("processed_at", DateTime))
receipts = Table("floor_receipts", meta, Column("user_id", String(33), primary_key=True),
                 Column("read_at", DateTime), Column("taps", Integer, nullable=False, default=0))


def create_app() -> Flask:
    app = Flask(__name__)
    handler = WebhookHandler(os.environ["LINE_CHANNEL_SECRET"])
    configuration = Configuration(access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
                                  host=os.environ.get("LINE_API_BASE_URL", "https://api.line.me"))
    engine = make_engine(os.environ["DATABASE_URL"])
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":  # gunicorn's three workers start at once: one creates
            c.execute(text("SELECT pg_advisory_xact_lock(15015)"))  # the tables, the others wait and find them
        meta.create_all(c, checkfirst=True)
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    store = insert(inbox).on_conflict_do_nothing(index_elements=["id"]).returning(inbox.c.id)  # as kairan's
    upsert_receipt = insert(receipts).on_conflict_do_nothing(index_elements=["user_id"])
    claim = (update(inbox).where(inbox.c.id == bindparam("eid"), inbox.c.status == "received")
             .values(status="processing"))
    effect = (update(receipts).where(receipts.c.user_id == bindparam("uid"))
              .values(read_at=bindparam("now"), taps=receipts.c.taps + 1))
    done = (update(inbox).where(inbox.c.id == bindparam("eid"), inbox.c.status == "processing")
            .values(status="done", payload=None, processed_at=bindparam("now")))

    def durable(event: Event, raw: dict) -> bool:
        """Stored (own transaction), then claimed, applied and done (one transaction)."""
        now = utcnow()
        with engine.begin() as c:
            new = c.execute(store, {"id": event.webhook_event_id, "payload": json.dumps(raw, ensure_ascii=False),
                                    "status": "received", "received_at": now}).first() is not None
        if not new:
            return False  # a redelivery: no second effect, no second reply
        with engine.begin() as c:
            if c.execute(claim, {"eid": event.webhook_event_id}).rowcount != 1:
                return False
            uid = event.source.user_id
            if c.execute(effect, {"uid": uid, "now": now}).rowcount < 1:
                c.execute(upsert_receipt, {"user_id": uid, "read_at": now, "taps": 1})
            c.execute(done, {"eid": event.webhook_event_id, "now": utcnow()})
        return True

    @app.post("/callback")
    def callback():
        signature = request.headers.get("X-Line-Signature", "")
        body = request.get_data(as_text=True)
        try:
            events = handler.parser.parse(body, signature)
        except InvalidSignatureError:
            abort(400)
        raws = {e.get("webhookEventId"): e for e in json.loads(body).get("events", [])}
        for event in events:
            if not durable(event, raws.get(event.webhook_event_id, {})):
                continue
            data = event.postback.data if hasattr(event, "postback") else getattr(event.message, "text", "")
            with ApiClient(configuration) as api_client:  # per event, exactly as the echo bot
                MessagingApi(api_client).reply_message_with_http_info(ReplyMessageRequest(
                    reply_token=event.reply_token, messages=[TextMessage(text=data or "OK")]))
        return "OK"

    return app
