"""The router-level chat (tests/harness.py) answers as the webhook does: the same acts through
/callback and through the router give the same replies, and the outbox rows a turn wrote can be
popped."""
from bot.dev.demo import demo_user_id
from handlers.messages import texts

from chat import all_text, button
from conftest import member, user_id

CHAIR = demo_user_id("山田 太郎")


def test_the_same_acts_give_the_same_replies_through_callback_and_the_router(line, chat, demo, db):
    by_webhook, by_router = user_id("parity-webhook"), user_id("parity-router")
    turns = {}
    for driver, uid in ((line, by_webhook), (chat, by_router)):
        card = driver.follow(uid)
        blocks = driver.tap(uid, card, texts.AGREE)
        name = driver.tap(uid, blocks, "2班")
        done = driver.text(uid, "伊藤 美咲")
        turns[uid] = [card, blocks, name, done]
    assert turns[by_webhook] == turns[by_router]
    webhook, router = member(db, by_webhook), member(db, by_router)
    assert (webhook.status, webhook.household_id) == (router.status, router.household_id)


def test_a_turn_pops_its_replies_and_the_outbox_rows_it_wrote(chat, demo):
    assert chat.outbox() == []
    preview = chat.text(CHAIR, "回覧 お知らせ\n本文です。")
    assert chat.replies == preview and "皆さんにはこのように届きます" in all_text(preview)
    assert chat.outbox() == []  # a preview sends nothing
    sent = chat.tap(CHAIR, preview, texts.SEND)
    assert "送信しました" in all_text(sent)
    rows = chat.outbox()
    # the circular to everyone on LINE, and each block leader's list of paper households
    assert [(r.kind, r.purpose, r.status) for r in rows] == [("multicast", "circular:1", "pending")] + [
        ("push", f"paper:1:{block}", "pending") for block in (1, 2, 3)]
    assert chat.outbox() == []  # popped

