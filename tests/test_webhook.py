"""POST /callback: signature on the raw body, malformed input, redelivery, unknown events."""
import datetime as dt
import json

import time_machine
from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from bot.webhook import signature
from handlers.framework.router import Route, router
from models import Member, WebhookEvent

from conftest import SECRET, user_id


def count(db, model):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_bad_signature_is_400_and_writes_nothing(line, demo, db, fake):
    e = line.text_event(user_id("x"), "こんにちは")
    assert line.post(e, signature_override="bm90IHRoZSByaWdodCBzaWduYXR1cmU=") == 400
    assert count(db, WebhookEvent) == 0
    assert fake.sends() == []


def test_missing_signature_is_400(line, demo, db):
    body = json.dumps({"destination": "U" + "0" * 32, "events": []}).encode()
    resp = line.client.post("/callback", data=body, headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


def test_signature_of_a_reserialised_body_fails(line, demo, db):
    e = line.text_event(user_id("x"), "こんにちは")
    body = json.dumps({"destination": "U" + "0" * 32, "events": [e]}, ensure_ascii=False).encode()
    sig = signature(SECRET, body)
    reserialised = json.dumps(json.loads(body)).encode()  # \u escapes: different bytes, same JSON
    resp = line.client.post("/callback", data=reserialised, headers={"X-Line-Signature": sig})
    assert resp.status_code == 400
    assert count(db, WebhookEvent) == 0


def test_malformed_json_with_valid_signature_is_400(line, demo, db):
    body = b'{"events": [ {"type": "message"'
    resp = line.client.post("/callback", data=body, headers={"X-Line-Signature": signature(SECRET, body)})
    assert resp.status_code == 400
    assert count(db, WebhookEvent) == 0


def test_event_without_webhook_event_id_is_400(line, demo, db):
    e = line.text_event(user_id("x"), "こんにちは")
    del e["webhookEventId"]
    assert line.post(e, validate=False) == 400
    assert count(db, WebhookEvent) == 0


def test_an_event_the_sdk_cannot_parse_does_not_sink_the_others(line, demo, db, fake):
    """A signed body from LINE with one event we do not understand: the rest is still handled."""
    odd = line.base(user_id("sticker"), "message")
    odd["message"] = {"id": "1", "type": "sticker", "packageId": "1", "stickerId": "1",
                      "stickerResourceType": "SOMETHING_NEW", "quoteToken": "q"}
    good = line.base(user_id("newcomer"), "follow")
    good["follow"] = {"isUnblocked": False}
    assert line.post(odd, good, validate=False) == 200
    with db.session() as s:
        assert [r.id for r in s.scalars(select(WebhookEvent))] == [good["webhookEventId"]]
    assert len(fake.sends("/reply")) == 1


def test_empty_events_from_console_verify_is_200(line, demo):
    body = json.dumps({"destination": "U" + "0" * 32, "events": []}).encode()
    resp = line.client.post("/callback", data=body, headers={"X-Line-Signature": signature(SECRET, body)})
    assert resp.status_code == 200


def test_unknown_event_type_is_ignored(line, demo, db, fake):
    # messageEdited is newer than the OpenAPI snapshot: LINE adds event types without notice
    e = line.base(user_id("x"), "messageEdited")
    e["message"] = {"id": "1", "type": "text", "text": "edited", "quoteToken": "q"}
    assert line.post(e, validate=False) == 200
    assert count(db, WebhookEvent) == 0
    assert fake.sends() == []


def test_redelivered_event_has_no_second_effect(line, demo, db, fake):
    u = user_id("redelivery")
    follow = line.base(u, "follow")
    follow["follow"] = {"isUnblocked": False}
    assert line.post(follow) == 200
    consent = line.postback_event(u, "a=consent&v=1&p=2026-11")
    assert line.post(consent) == 200
    replies_before = len(fake.sends("/reply"))
    again = dict(consent, deliveryContext={"isRedelivery": True})
    assert line.post(again) == 200
    assert line.post(consent) == 200  # a plain duplicate, too
    assert len(fake.sends("/reply")) == replies_before
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Member).where(Member.line_user_id == u)) == 1
        row = s.get(WebhookEvent, consent["webhookEventId"])
        assert row.status == "done" and row.payload is None  # the resident's event is not kept


def test_several_events_in_one_body_from_different_users(line, demo, fake):
    a, b = user_id("a"), user_id("b")
    ea, eb = line.base(a, "follow"), line.base(b, "follow")
    ea["follow"] = eb["follow"] = {"isUnblocked": False}
    assert line.post(ea, eb) == 200
    assert {r.body["replyToken"] for r in fake.sends("/reply")} == {ea["replyToken"], eb["replyToken"]}


def test_group_events_are_ignored(line, demo, db, fake):
    e = line.text_event(user_id("g"), "回覧")
    e["source"] = {"type": "group", "groupId": "C" + "1" * 32, "userId": demo_user_id("山田 太郎")}
    assert line.post(e) == 200
    assert fake.sends() == []


def test_handler_failure_is_retried_by_the_sweep(line, demo, db, fake, k, monkeypatch):
    """An event that got a 200 is never lost: a crash in the handler leaves it for the sweep."""
    import handlers.registration.membership as reg

    u = user_id("crash")
    calls = {"n": 0}
    real = reg.on_follow

    def crash_once(ctx):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real(ctx)

    monkeypatch.setitem(router.events, "follow", Route(crash_once))
    e = line.base(u, "follow")
    e["follow"] = {"isUnblocked": False}
    assert line.post(e) == 200
    with db.session() as s:
        assert s.get(WebhookEvent, e["webhookEventId"]).status == "received"
    assert fake.sends("/reply") == []
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=70)):
        assert k.processor.sweep() == 1
        drain(db, k.line)
    with db.session() as s:
        assert s.get(WebhookEvent, e["webhookEventId"]).status == "done"
    # the reply token was too old by then: the consent card went out as a push instead
    pushes = fake.sends("/push")
    assert len(pushes) == 1 and pushes[0].body["to"] == u
    assert "同意する" in json.dumps(pushes[0].body, ensure_ascii=False)
