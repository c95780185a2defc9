"""Dialogs that meet: a 「退会」 asked in the middle of something else, and what is not an attachment
sent while drafting a circular. Both behaved this way before the flows became tables (issue 9);
the tables must not change it."""
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Circular, CircularState, DialogState, Member, MemberStatus

from chat import all_text

CHAIR = demo_user_id("山田 太郎")


def sticker(chat, user):
    e = chat.base(user, "message")
    e["message"] = {"id": "st" + user[-8:], "type": "sticker", "packageId": "446", "stickerId": "1988",
                    "stickerResourceType": "STATIC", "quoteToken": "q" * 20}
    return chat._answer(user, e)


def test_withdraw_then_keep_leaves_the_officers_draft_where_it_was(chat, demo, db):
    assert texts.ASK_TITLE in all_text(chat.text(CHAIR, "回覧"))
    card = chat.text(CHAIR, texts.CMD_WITHDRAW)
    assert texts.WITHDRAW_CONFIRM in all_text(card)
    assert texts.WITHDRAW_KEPT in all_text(chat.tap(CHAIR, card, texts.WITHDRAW_NO))
    # the draft goes on: the title typed now is the circular's title
    assert texts.ASK_BODY in all_text(chat.text(CHAIR, "敬老会のご案内"))
    with db.session() as s:
        c = s.scalar(select(Circular).where(Circular.state == CircularState.draft))
        assert c is not None and c.title == "敬老会のご案内"
        m = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        assert m.status == MemberStatus.active


def test_withdraw_card_tapped_later_still_withdraws(chat, demo, db):
    with db.session() as s:
        chair_id = s.scalar(select(Member.id).where(Member.line_user_id == CHAIR))
    assert texts.ASK_TITLE in all_text(chat.text(CHAIR, "回覧"))
    card = chat.text(CHAIR, texts.CMD_WITHDRAW)
    assert texts.ASK_BODY in all_text(chat.text(CHAIR, "敬老会のご案内"))  # the draft went on meanwhile
    assert texts.WITHDRAWN in all_text(chat.tap(CHAIR, card, texts.WITHDRAW_YES))
    with db.session() as s:
        m = s.get(Member, chair_id)
        assert m.status == MemberStatus.withdrawn and m.line_user_id is None  # erased
        assert s.scalar(select(DialogState).where(DialogState.line_user_id == CHAIR)) is None


def test_a_sticker_while_drafting_is_not_an_attachment(chat, demo, db):
    chat.text(CHAIR, "回覧")
    chat.text(CHAIR, "敬老会のご案内")
    assert all_text(sticker(chat, CHAIR)) == texts.BODY_EMPTY  # at the body step: the body is still wanted
    assert texts.ASK_ATTACH in all_text(chat.text(CHAIR, "公民館で敬老会を開きます。"))
    again = sticker(chat, CHAIR)  # at the attach step: the question again, not 「添付を受け取れませんでした」
    assert texts.ASK_ATTACH in all_text(again) and texts.ATTACH_FAILED not in all_text(again)
    with db.session() as s:
        c = s.scalar(select(Circular).where(Circular.state == CircularState.draft))
        assert c.attachments == []
