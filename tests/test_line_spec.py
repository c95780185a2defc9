"""tests/line_spec.py + handlers/messages/limits.py: good LINE payloads pass, bad ones are caught."""

import copy
from pathlib import Path

import pytest
from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexImage,
    FlexMessage,
    FlexText,
    LocationAction,
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)

from handlers.messages.limits import LineLimitError, assert_valid, check_message, grapheme_len, utf16_len

from line_spec import validate_request, validate_schema, validate_webhook_event

REPO = Path(__file__).resolve().parents[1]
USER = "U" + "0123456789abcdef" * 2


def reply(*messages) -> dict:
    return {"replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", "messages": [_dict(m) for m in messages]}


def _dict(obj):
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def text_with_quick_reply() -> TextMessage:
    return TextMessage(
        text="5月の清掃に参加しますか？",
        quick_reply=QuickReply(items=[
            QuickReplyItem(action=MessageAction(label="参加", text="参加")),
            QuickReplyItem(action=PostbackAction(label="不参加", data="a=att&c=12&v=n", display_text="不参加")),
            QuickReplyItem(action=LocationAction(label="現在地を送る")),
        ]),
    )


def flex(button_action=None, hero=None) -> FlexMessage:
    return FlexMessage(
        alt_text="回覧板: 5月の清掃のお知らせ",
        contents=FlexBubble(
            hero=hero,
            body=FlexBox(layout="vertical", contents=[FlexText(text="5月の清掃", weight="bold", wrap=True)]),
            footer=FlexBox(layout="vertical", contents=[FlexButton(
                style="primary",
                action=button_action
                or PostbackAction(label="確認しました", data="a=ack&c=12", display_text="確認しました"),
            )]),
        ),
    )


def assert_rejected(match: str, body: dict, kind: str = "reply") -> None:
    with pytest.raises(AssertionError, match=match):
        validate_request(kind, body)


# --- valid payloads -------------------------------------------------------------------------------


def test_text_message_with_quick_reply_passes():
    validate_schema(_dict(text_with_quick_reply()), "TextMessage")
    validate_request("reply", reply(text_with_quick_reply()))
    validate_request("reply", ReplyMessageRequest.from_dict(reply(text_with_quick_reply())))


def test_flex_message_built_with_sdk_passes():
    msg = flex()
    validate_schema(_dict(msg), "Message")
    validate_request("push", {"to": USER, "messages": [_dict(msg), _dict(text_with_quick_reply())]})
    validate_request("multicast", {"to": [USER, "U" + "f" * 32], "messages": [_dict(msg)]})
    assert check_message(msg) == []


def test_limits_at_their_boundaries_pass():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # one grapheme, 8 UTF-16 units
    assert (grapheme_len(family), grapheme_len("🇯🇵"), grapheme_len("が"), grapheme_len("👍🏽")) == (1, 1, 1, 1)
    assert utf16_len("😀") == 2
    msg = _dict(text_with_quick_reply())
    msg["text"] = "😀" * 2500  # 5,000 UTF-16 units exactly
    msg["quickReply"]["items"][0]["action"].update(label=family * 20, text="あ" * 300)
    msg["quickReply"]["items"] *= 4
    msg["quickReply"]["items"] = msg["quickReply"]["items"][:13]
    validate_request("reply", reply(msg))


# --- schema failures ------------------------------------------------------------------------------


def test_unknown_discriminator_type_fails():
    assert_rejected(r"messages\[0\]: unknown type 'txt'", reply({"type": "txt", "text": "hi"}))
    bad = _dict(flex())
    bad["contents"]["body"]["contents"][0]["type"] = "paragraph"
    assert_rejected(r"contents\.body\.contents\[0\]: unknown type 'paragraph'", reply(bad))


def test_missing_alt_text_fails():
    bad = _dict(flex())
    del bad["altText"]
    assert_rejected(r"'altText' is a required property", reply(bad))


def test_unknown_property_fails():
    bad = _dict(flex())
    bad["alt_text"] = bad.pop("altText")
    assert_rejected(r"unknown properties \['alt_text'\]", reply(bad))
    bad = _dict(flex())
    bad["contents"]["footer"]["contents"][0]["action"]["postback_data"] = "x"  # deep inside Action
    assert_rejected(r"footer\.contents\[0\]\.action: unknown properties \['postback_data'\]", reply(bad))


def test_nested_required_property_fails():
    bad = _dict(flex())
    del bad["contents"]["body"]["layout"]
    assert_rejected(r"contents\.body: 'layout' is a required property", reply(bad))


def test_nullable_is_honoured():
    membership = {"membershipId": 1, "title": "t", "description": "d", "benefits": ["b"], "price": 500.0,
                  "currency": "JPY", "memberCount": 3, "memberLimit": None, "isInAppPurchase": False,
                  "isPublished": True}
    validate_schema(membership, "Membership")
    with pytest.raises(AssertionError, match="currency"):
        validate_schema({**membership, "currency": None}, "Membership")


def test_fourteen_quick_reply_items_fail():
    msg = _dict(text_with_quick_reply())
    msg["quickReply"]["items"] = [msg["quickReply"]["items"][0]] * 14
    assert_rejected(r"quickReply\.items: .*has length 14; maxItems is 13", reply(msg))  # spec maxItems 13
    assert "quickReply.items: 14 items > 13" in check_message(msg)


# --- LINE limits the spec does not encode ---------------------------------------------------------


def test_quick_reply_label_of_21_chars_fails():
    msg = _dict(text_with_quick_reply())
    msg["quickReply"]["items"][0]["action"]["label"] = "あ" * 21
    assert_rejected(r"quickReply\.items\[0\]\.action\.label: 21 characters > 20", reply(msg))


def test_flex_button_label_of_41_chars_fails():
    msg = flex(PostbackAction(label="x" * 41, data="a=ack"))
    assert_rejected(r"footer\.contents\[0\]\.action\.label: 41 characters > 40", reply(msg))
    no_label = _dict(flex())
    del no_label["contents"]["footer"]["contents"][0]["action"]["label"]
    assert_rejected(r"action\.label: required", reply(no_label))


def test_postback_data_of_301_chars_fails():
    bad = _dict(flex())
    bad["contents"]["footer"]["contents"][0]["action"]["data"] = "d" * 301  # the SDK itself refuses > 300
    assert_rejected(r"action\.data: .*has length 301; maxLength is 300", reply(bad))  # spec maxLength 300
    assert any("action.data: 301 UTF-16 units > 300" in v for v in check_message(bad))


def test_text_of_5001_chars_fails():
    assert_rejected(r"messages\[0\]\.text: 5001 UTF-16 units > 5000", reply(TextMessage(text="あ" * 5001)))
    assert_rejected(r"messages\[0\]\.text: must not be empty", reply({"type": "text", "text": ""}))


def test_text_is_counted_in_utf16_units():
    emoji = "😀" * 2501  # 2,501 code points, 5,002 UTF-16 units
    assert_rejected(r"text: 5002 UTF-16 units > 5000", reply(TextMessage(text=emoji)))


def test_multicast_to_501_recipients_fails():
    body = {"to": [f"U{i:032x}" for i in range(501)], "messages": [_dict(TextMessage(text="回覧"))]}
    assert_rejected(r"to: need 1-500 user IDs, got 501", body, "multicast")
    body["to"] = [USER, USER]
    assert_rejected(r"to: user IDs must be unique", body, "multicast")


def test_http_image_url_in_flex_fails():
    msg = flex(hero=FlexImage(url="http://example.com/kairan.png", size="full"))
    assert_rejected(r"contents\.hero\.url: must be an https:// URL", reply(msg))


def test_location_action_in_flex_button_fails():
    msg = flex(LocationAction(label="現在地"))
    assert_rejected(r"action: location action is only allowed in quick reply items", reply(msg))


def test_assert_valid_raises_value_error_with_all_violations():
    bad = _dict(flex(PostbackAction(label="x" * 41, data="a=ack")))
    bad["contents"]["footer"]["contents"][0]["action"]["data"] = "d" * 301  # the SDK itself refuses > 300
    bad["altText"] = ""
    with pytest.raises(ValueError) as info:
        assert_valid(bad)
    assert isinstance(info.value, LineLimitError) and len(info.value.violations) == 3
    with pytest.raises(ValueError, match="replyToken: required"):
        assert_valid({"messages": [_dict(TextMessage(text="hi"))]}, "reply")


# --- webhook --------------------------------------------------------------------------------------

TEXT_EVENT = {  # shape of REF #message-event (text)
    "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA",
    "type": "message",
    "mode": "active",
    "timestamp": 1462629479859,
    "source": {"type": "user", "userId": "U4af4980629..."},
    "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZR",
    "deliveryContext": {"isRedelivery": False},
    "message": {
        "id": "444573844083572737",
        "type": "text",
        "quoteToken": "q3Plxr4AgKd...",
        "text": "@All @example Good Morning!! (love)",
        "emojis": [{"index": 29, "length": 6, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}],
        "mention": {"mentionees": [
            {"index": 0, "length": 4, "type": "all"},
            {"index": 5, "length": 8, "userId": "U49585cd0d5...", "type": "user", "isSelf": False},
        ]},
    },
}


def test_webhook_text_event_passes():
    validate_webhook_event(TEXT_EVENT)
    validate_webhook_event({**TEXT_EVENT, "someFutureField": 1})  # LINE adds fields: not strict


def test_webhook_event_missing_webhook_event_id_fails():
    event = copy.deepcopy(TEXT_EVENT)
    del event["webhookEventId"]
    with pytest.raises(AssertionError, match="'webhookEventId' is a required property"):
        validate_webhook_event(event)


def test_webhook_event_is_checked_through_discriminators():
    event = copy.deepcopy(TEXT_EVENT)
    del event["message"]["quoteToken"]
    event["source"] = {"type": "group", "userId": "U1"}
    with pytest.raises(AssertionError) as info:
        validate_webhook_event(event)
    assert "message: 'quoteToken' is a required property" in str(info.value)
    assert "source: 'groupId' is a required property" in str(info.value)


# --- vendored spec --------------------------------------------------------------------------------


def test_vendored_specs_match_shared_copy():
    shared = REPO.parent / "shared" / "line-openapi"
    if not shared.is_dir():
        pytest.skip(f"{shared} not present (only beside the repo on project machines)")
    vendored = sorted((REPO / "tests" / "spec").glob("*.yml"))
    assert vendored, "no vendored specs"
    for path in vendored:
        assert path.read_bytes() == (shared / path.name).read_bytes(), f"{path.name} differs from {shared}"
