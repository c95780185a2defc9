"""LineClient sends a message body through the SDK's endpoint once validated (issue 15): the
request LINE gets is exactly the body built, with the token, the retry key and the content type,
and LINE's refusals come back as before. An SDK without the undecorated endpoint gets the model."""
import pytest
from linebot.v3.messaging import ReplyMessageRequest

from bot.line.client import LineClient
from handlers.messages import builders as msg

from conftest import TOKEN

BODY = [msg.text("「お知らせ」を読みました。", [msg.postback("回覧板", "a=v&v=circ", "回覧板")])]


@pytest.fixture
def client(settings):
    return LineClient(settings)


def sent(fake, path):
    return [r for r in fake.requests if r.path.endswith(path)]


def test_a_reply_posts_the_body_as_built(client, fake):
    token = fake.issue_reply_token("U" + "1" * 32)
    result = client.reply(token, BODY)
    assert result.ok and result.status == 200
    (req,) = sent(fake, "/v2/bot/message/reply")
    assert req.method == "POST" and req.body == {"replyToken": token, "messages": BODY}
    assert req.token == TOKEN and req.headers["content-type"].startswith("application/json")
    assert [d.via for d in fake.delivered] == ["reply"]


def test_a_push_and_a_multicast_carry_their_retry_keys(client, fake):
    users = ["U" + "2" * 32, "U" + "3" * 32]
    assert client.push(users[0], BODY, retry_key="11111111-1111-4111-8111-111111111111").ok
    assert client.multicast(users, BODY, retry_key="22222222-2222-4222-8222-222222222222").ok
    (push,) = sent(fake, "/v2/bot/message/push")
    (multi,) = sent(fake, "/v2/bot/message/multicast")
    assert push.body == {"to": users[0], "messages": BODY}
    assert push.retry_key == "11111111-1111-4111-8111-111111111111"
    assert multi.body == {"to": users, "messages": BODY}
    assert multi.retry_key == "22222222-2222-4222-8222-222222222222"


def test_the_request_model_is_not_built_again(client, fake, monkeypatch):
    def built(*_a, **_k):
        raise AssertionError("ReplyMessageRequest built from the body a second time")
    monkeypatch.setattr(ReplyMessageRequest, "from_dict", built)
    assert client.reply(fake.issue_reply_token("U" + "4" * 32), BODY).ok
    assert len(sent(fake, "/v2/bot/message/reply")) == 1


def test_a_refusal_is_still_a_refusal(client, fake):
    fake.fail_next(400, body={"message": "Invalid reply token"}, path_contains="/reply")
    result = client.reply("not-a-token", BODY)
    assert not result.ok and result.status == 400 and "Invalid reply token" in result.error
    assert not result.retryable


def test_an_sdk_without_the_undecorated_endpoint_gets_the_model(client, fake, monkeypatch):
    seen = []
    real = client.api.reply_message_with_http_info.raw_function

    def plain(request, **kwargs):  # no raw_function attribute: what a future SDK may give
        seen.append(type(request).__name__)
        return real(client.api, request, **kwargs)
    monkeypatch.setattr(client.api, "reply_message_with_http_info", plain)
    token = fake.issue_reply_token("U" + "5" * 32)
    assert client.reply(token, BODY).ok
    assert seen == ["ReplyMessageRequest"]
    (req,) = sent(fake, "/v2/bot/message/reply")
    assert (req.body["replyToken"], req.body["messages"]) == (token, BODY)  # the model adds its defaults
