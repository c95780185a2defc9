"""builders.text builds the text message's dict directly (issue 15): it must stay exactly what the
SDK's TextMessage model gives, for every kind of quick-reply action the bot uses."""
import pytest
from linebot.v3.messaging import QuickReply, QuickReplyItem, TextMessage

from handlers.messages import builders as msg
from handlers.messages import texts

ACTIONS = [msg.postback("回覧板", "a=v&v=circ", "回覧板"), msg.postback("とても長いラベルのボタンですがどうでしょうか", "a=x"),
           msg.say(texts.SAFETY_NO_COMMENT), msg.location(), msg.picker("日時を選ぶ", "a=pk")]


def sdk(body, quick):
    return TextMessage(text=body, quick_reply=QuickReply(items=[QuickReplyItem(action=a) for a in quick])
                       if quick else None).to_dict()


@pytest.mark.parametrize("quick", [None, [], ACTIONS[:1], ACTIONS, ACTIONS * 2 + ACTIONS[:3]])
def test_the_dict_is_the_sdk_models_dict(quick):
    body = "「お知らせ」を読みました。\nありがとうございます。"
    assert msg.text(body, quick) == sdk(body, quick)


def test_fourteen_quick_replies_are_refused_as_before():
    with pytest.raises(ValueError):
        msg.text("x", ACTIONS * 2 + ACTIONS[:4])


def test_a_text_that_is_not_a_str_is_refused():
    with pytest.raises(TypeError):
        msg.text(None)


def test_actions_serialised_once_give_the_same_dict_and_are_not_shared():
    body = "「無事」で記録しました。"
    kept = msg.serialised(ACTIONS)
    first = msg.text(body, kept)
    assert first == sdk(body, ACTIONS) == msg.text(body, [*kept[:2], *ACTIONS[2:]])
    first["quickReply"]["items"][0]["action"]["label"] = "changed"  # a later change of one reply
    assert msg.text(body, kept) == sdk(body, ACTIONS)  # leaves the kept actions as they were
