"""Circulars: draft → preview → send (multicast ≤500), read per household, paper lists, 状況."""
import re

from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import (
    Association,
    Block,
    Circular,
    CircularState,
    Delivery,
    Household,
    Member,
    MemberStatus,
    OutboxMessage,
)

from chat import all_text, button
from conftest import user_id

CHAIR = demo_user_id("山田 太郎")
LEADER2 = demo_user_id("田中 実")
SATO = demo_user_id("佐藤 花子")  # 1班
SUZUKI = demo_user_id("鈴木 一郎")  # 1班
ITO = demo_user_id("伊藤 美咲")  # 2班
LINE_MEMBERS = 9  # active demo members


def send_one_shot(line, who=CHAIR, title="清掃のお知らせ", body="11月30日9時から公園の清掃をします。"):
    preview = line.text(who, f"回覧 {title}\n{body}")
    return preview, line.tap(who, preview, texts.SEND)


def circular(db) -> Circular:
    with db.session() as s:
        return s.scalars(select(Circular).order_by(Circular.id.desc())).first()


def test_dialog_draft_preview_and_send(line, demo, db, fake, k):
    assert texts.ASK_TITLE in all_text(line.text(CHAIR, "回覧"))
    assert texts.ASK_BODY in all_text(line.text(CHAIR, "敬老会のご案内"))
    assert texts.ASK_ATTACH in all_text(line.text(CHAIR, "9月15日に公民館で敬老会を開きます。"))
    target_q = line.text(CHAIR, texts.NEXT)
    assert [i["action"]["label"] for i in target_q[-1]["quickReply"]["items"]][:3] == ["全体", "班を選ぶ", "役員のみ"]
    preview = line.tap(CHAIR, target_q, texts.TARGET_ALL)
    # the preview is the exact Flex residents get, plus the cost and [送信][修正][取消]
    flex = preview[1]
    assert flex["type"] == "flex" and flex["altText"] == "【回覧】敬老会のご案内"  # issue 10: the kind first
    summary = all_text(preview[2:])
    assert "LINEで9世帯（9人）、紙で3世帯" in summary  # 高橋 has no LINE; 渡辺・吉田 not registered yet
    assert "メッセージを9通使います" in summary and "今月の残り 200通" in summary
    c = circular(db)
    assert c.state == CircularState.draft
    assert fake.sends("/multicast") == []  # nothing goes out before [送信]

    done = line.tap(CHAIR, preview, texts.SEND)
    assert "送信しました" in all_text(done)
    drain(db, k.line)
    (mc,) = [r for r in fake.sends("/multicast") if "敬老会" in all_text(r.body["messages"])]
    assert len(mc.body["to"]) == LINE_MEMBERS and CHAIR in mc.body["to"]
    assert mc.body["messages"] == [flex]  # what was previewed is what was sent
    with db.session() as s:
        c = s.get(Circular, c.id)
        assert c.state == CircularState.sent and c.push_count == LINE_MEMBERS
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.circular_id == c.id)) == 12


def test_one_shot_goes_straight_to_preview(chat, demo, db):
    preview = chat.text(CHAIR, "回覧 防犯パトロール\n今週金曜の夜に見回りをします。")
    assert preview[1]["altText"] == "【回覧】防犯パトロール"
    assert texts.SEND in all_text(preview)


def test_resident_cannot_issue_circulars_or_status(chat, demo, db, fake):
    for cmd in ("回覧", "回覧 勝手な回覧\n本文", "状況", "管理画面"):
        reply = chat.text(SATO, cmd)
        assert all_text(reply) == texts.OFFICERS_ONLY
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Circular)) == 0
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_forged_send_button_from_resident_changes_nothing(chat, demo, db, fake):
    preview = chat.text(CHAIR, "回覧 テスト\n本文")
    data = button(preview, texts.SEND)["data"]
    assert all_text(chat.postback(SATO, data)) == texts.OFFICERS_ONLY
    # another officer cannot send the chair's draft either
    assert texts.STALE_DRAFT in all_text(chat.postback(demo_user_id("小林 修"), data))
    assert circular(db).state == CircularState.draft


def test_stale_preview_and_double_send(chat, demo, db, fake, k):
    preview = chat.text(CHAIR, "回覧 テスト\n本文")
    old_send = button(preview, texts.SEND)["data"]
    fields = chat.tap(CHAIR, preview, texts.EDIT)
    chat.tap(CHAIR, fields, texts.FIELD_TITLE)
    new_preview = chat.text(CHAIR, "テスト（訂正）")
    assert new_preview[1]["altText"] == "【回覧】テスト（訂正）"
    assert texts.STALE_PREVIEW in all_text(chat.postback(CHAIR, old_send))
    chat.tap(CHAIR, new_preview, texts.SEND)
    again = chat.tap(CHAIR, new_preview, texts.SEND)
    assert texts.STALE_DRAFT in all_text(again)
    drain(db, k.line)
    assert len(fake.sends("/multicast")) == 1


def test_cancel_deletes_the_draft(chat, demo, db, fake):
    preview = chat.text(CHAIR, "回覧 テスト\n本文")
    assert texts.CIRCULAR_CANCELLED in all_text(chat.tap(CHAIR, preview, texts.CANCEL))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Circular)) == 0


def test_cancel_word_ends_the_dialog(chat, demo, db):
    chat.text(CHAIR, "回覧")
    assert texts.CANCELLED in all_text(chat.text(CHAIR, "取消"))
    # the next text is not taken as a title
    assert all_text(chat.text(CHAIR, "こんにちは")) == texts.HELP_OFFICER


def test_target_chosen_blocks(chat, demo, db, fake, k):
    preview = chat.text(CHAIR, "回覧 2班だけ\n本文")
    fields = chat.tap(CHAIR, preview, texts.EDIT)
    target_q = chat.tap(CHAIR, fields, texts.FIELD_TARGET)
    picker = chat.tap(CHAIR, target_q, texts.TARGET_BLOCKS)
    picker = chat.tap(CHAIR, picker, "2班")
    assert "選択中：2班" in all_text(picker)
    preview = chat.tap(CHAIR, picker, texts.DONE)
    assert "送信先：2班" in all_text(preview)
    chat.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    (mc,) = fake.sends("/multicast")
    assert set(mc.body["to"]) == {LEADER2, ITO, demo_user_id("中村 幸子")}


def test_block_leader_circulates_in_own_block_only(chat, demo, db, fake, k):
    preview = chat.text(LEADER2, "回覧 2班の集金\n今月の班費を集めます。")
    assert "送信先：2班" in all_text(preview)
    chat.tap(LEADER2, preview, texts.SEND)
    drain(db, k.line)
    (mc,) = fake.sends("/multicast")
    assert CHAIR not in mc.body["to"] and ITO in mc.body["to"]


def test_officers_only_target(chat, demo, db, fake, k):
    preview = chat.text(CHAIR, "回覧 役員会\n議事次第")
    fields = chat.tap(CHAIR, preview, texts.EDIT)
    target_q = chat.tap(CHAIR, fields, texts.FIELD_TARGET)
    preview = chat.tap(CHAIR, target_q, texts.TARGET_OFFICERS)
    chat.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    (mc,) = fake.sends("/multicast")
    assert set(mc.body["to"]) == {CHAIR, LEADER2, demo_user_id("小林 修")}


def test_read_is_per_household_and_idempotent(chat, demo, db, fake, k):
    _, _ = send_one_shot(chat)
    drain(db, k.line)
    flex = fake.sends("/multicast")[0].body["messages"]
    read = button(flex, texts.READ)["data"]
    assert "既読にしました" in all_text(chat.postback(SATO, read))
    again = chat.postback(SATO, read)
    assert "ご自身が" in all_text(again)
    with db.session() as s:
        sato = s.scalar(select(Member).where(Member.line_user_id == SATO))
        # a second member of the same household: their tap finds the household already read
        s.add(Member(association_id=sato.association_id, line_user_id=user_id("sato-son"),
                     household_id=sato.household_id, block_id=sato.block_id, name="佐藤 一", status=MemberStatus.active))
    son = chat.postback(user_id("sato-son"), read)
    assert "佐藤 花子さんが" in all_text(son)
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).where(Household.name == "佐藤 花子"))
        assert d.read_via == "button" and d.read_by.name == "佐藤 花子"
        assert s.scalar(select(func.count()).select_from(Delivery).where(Delivery.read_at.is_not(None))) == 1
    # answers were free replies: nothing about reading went out as a push
    drain(db, k.line)
    assert not [r for r in fake.sends() if not r.path.endswith("/reply") and "既読" in all_text(r.body["messages"])]


def test_full_text_button_counts_as_read_and_links_household_page(line, demo, db, fake, k):
    long_body = "あ" * 400 + "おわり"
    send_one_shot(line, body=long_body)
    drain(db, k.line)
    flex = fake.sends("/multicast")[0].body["messages"]
    assert "おわり" not in all_text(flex)  # shortened in the bubble
    reply = line.tap(SUZUKI, flex, texts.FULL_TEXT)
    assert "おわり" in all_text(reply)
    assert texts.FULL_READ_ON_PAGE in all_text(reply)  # no attachment: the page card says so
    url = button(reply, texts.OPEN_PAGE)["uri"]
    assert url.startswith("https://kairan.example.jp/c/")
    page = line.client.get(url.replace("https://kairan.example.jp", ""))
    assert page.status_code == 200 and "おわり" in page.get_data(as_text=True)
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).where(Household.name == "鈴木 一郎"))
        assert d.read_at is not None
    assert line.client.get("/c/not-a-token").status_code == 404


def test_opening_the_page_counts_as_read(line, demo, db, fake, k):
    send_one_shot(line)
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).where(Household.name == "伊藤 美咲"))
        token = d.page_token
    assert line.client.get(f"/c/{token}").status_code == 200
    with db.session() as s:
        d = s.scalar(select(Delivery).where(Delivery.page_token == token))
        assert d.read_at is not None and d.read_via == "page"


def test_attachments_image_and_pdf(line, demo, db, fake, k):
    line.text(CHAIR, "回覧")
    line.text(CHAIR, "ごみ収集日の変更")
    line.text(CHAIR, "年末年始の収集日が変わります。")
    assert "添付しました" in all_text(line.image(CHAIR, b"\x89PNG\r\n\x1a\nimage-bytes", "image/png"))
    assert "添付しました" in all_text(line.file(CHAIR, "収集カレンダー.pdf", b"%PDF-1.4 calendar", "application/pdf"))
    assert texts.ATTACH_FAILED in all_text(line.file(CHAIR, "memo.exe", b"MZ", "application/octet-stream"))
    target_q = line.text(CHAIR, texts.NEXT)
    preview = line.tap(CHAIR, target_q, texts.TARGET_ALL)
    assert "添付 2件" in all_text(preview)
    line.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    flex = fake.sends("/multicast")[0].body["messages"]
    assert texts.ATTACHMENT_COUNT.format(n=2) in all_text(flex)
    reply = line.tap(SATO, flex, texts.FULL_TEXT)
    assert texts.ATTACHMENT_COUNT.format(n=2) in all_text(reply)
    path = button(reply, texts.OPEN_PAGE)["uri"].replace("https://kairan.example.jp", "")
    html = line.client.get(path).get_data(as_text=True)
    links = re.findall(r'/c/[^"]+/a/\d+', html)
    assert len(links) == 2
    bodies = {line.client.get(u).get_data() for u in links}
    assert bodies == {b"\x89PNG\r\n\x1a\nimage-bytes", b"%PDF-1.4 calendar"}


def test_multicast_batches_of_500(line, demo, db, fake, k):
    fake.quota_limit = None  # a paid plan without a monthly cap
    with db.session() as s:
        assoc = s.scalar(select(Association))
        block = s.scalar(select(Block).where(Block.name == "3班"))
        for i in range(1100):
            h = Household(association_id=assoc.id, block_id=block.id, name=f"住民{i}", join_code=f"8{i // 1000:03d}-{i % 1000:04d}")
            s.add(h)
            s.flush()
            s.add(Member(association_id=assoc.id, line_user_id="U%032x" % (10**6 + i), household_id=h.id,
                         block_id=block.id, name=f"住民{i}", status=MemberStatus.active))
    send_one_shot(line)
    drain(db, k.line)
    batches = fake.sends("/multicast")
    assert [len(b.body["to"]) for b in batches] == [500, 500, 109]
    everyone = [u for b in batches for u in b.body["to"]]
    assert len(everyone) == len(set(everyone)) == 1109
    assert len({b.retry_key for b in batches}) == 3


def test_paper_households_listed_for_block_leader(chat, demo, db, fake, k):
    send_one_shot(chat, title="防災訓練")
    drain(db, k.line)
    texts_sent = [all_text(r.body["messages"]) for r in fake.sends("/push")]
    paper = [t for t in texts_sent if "紙で配ってください" in t]
    # 1班 has no block leader: the chair gets the list; 2班's leader gets 渡辺 (not registered)
    assert any("高橋 和子様" in t and "1班" in t for t in paper)
    leader_push = [r for r in fake.sends("/push") if r.body["to"] == LEADER2]
    assert leader_push and "渡辺 健様" in all_text(leader_push[0].body["messages"])


def test_status_shows_read_rates_and_unread(chat, demo, db, fake, k):
    send_one_shot(chat)
    drain(db, k.line)
    flex = fake.sends("/multicast")[0].body["messages"]
    chat.tap(SATO, flex, texts.READ)
    chat.tap(ITO, flex, texts.READ)
    status = all_text(chat.text(CHAIR, "状況"))
    assert "既読 2/12世帯（17%）" in status
    assert "・1班 1/4" in status and "・2班 1/4" in status
    assert "高橋 和子様（紙）" in status  # needs support, paper: listed first
    assert status.index("高橋 和子様") < status.index("鈴木 一郎様")
    leader = all_text(chat.text(LEADER2, "状況"))
    assert "既読 1/4世帯" in leader and "鈴木" not in leader and "渡辺 健様（紙）" in leader


def test_read_button_of_a_draft_or_missing_circular(chat, demo, db):
    preview = chat.text(CHAIR, "回覧 下書き\n本文")
    assert texts.CIRCULAR_GONE in all_text(chat.tap(SATO, preview, texts.READ))
    assert texts.CIRCULAR_GONE in all_text(chat.postback(SATO, "a=read&c=99999"))
    assert texts.STALE_BUTTON in all_text(chat.postback(SATO, "a=nonsense"))


def test_commands_work_while_a_preview_waits(chat, demo, db):
    chat.text(CHAIR, "回覧 テスト\n本文")
    status = all_text(chat.text(CHAIR, "状況"))
    assert texts.STATUS_NONE in status
    # typed text at the target question re-asks instead of dropping the draft
    chat.text(CHAIR, "回覧")
    chat.text(CHAIR, "題")
    chat.text(CHAIR, "本文")
    chat.text(CHAIR, texts.NEXT)
    again = chat.text(CHAIR, "全員に")
    assert texts.ASK_TARGET in all_text(again)
    assert texts.SEND in all_text(chat.tap(CHAIR, again, texts.TARGET_ALL))


def test_send_over_the_monthly_quota_asks_again(line, demo, db, fake, k):
    fake.quota_limit = 5  # fewer left than the 9 members
    preview = line.text(CHAIR, "回覧 上限テスト\n本文")
    assert "今月の残り 5通" in all_text(preview)
    warn = line.tap(CHAIR, preview, texts.SEND)
    assert "この送信には9通が必要です" in all_text(warn)
    assert circular(db).state == CircularState.draft
    line.tap(CHAIR, warn, texts.SEND_ANYWAY)
    assert circular(db).state == CircularState.sent


def test_oversized_pdf_is_refused_before_downloading(line, demo, db, fake, k):
    line.text(CHAIR, "回覧")
    line.text(CHAIR, "題")
    line.text(CHAIR, "本文")
    e = line.base(CHAIR, "message")
    e["message"] = {"id": "big1", "type": "file", "fileName": "総会資料.pdf", "fileSize": 50 * 1024 * 1024}
    before = len(fake.requests)
    line.post(e)
    assert texts.ATTACH_TOO_BIG in all_text([d.message for d in fake.delivered if d.user_id == CHAIR][-1:])
    assert not [r for r in fake.requests[before:] if "/content" in r.path]


def test_full_text_of_an_emoji_body_arrives_in_pieces_within_lines_count(line, demo, db, fake, k):
    """Replay (issue 18 #9): 4,500 emoji are 9,000 UTF-16 units, over LINE's 5,000 per text."""
    from handlers.messages.limits import TEXT_MAX, utf16_len

    body = "😀" * 4390 + "👨‍👩‍👧" * 20 + "おわり"  # 4,493 characters: within MAX_BODY
    send_one_shot(line, title="絵文字", body=body)
    drain(db, k.line)
    flex = fake.sends("/multicast")[0].body["messages"]
    reply = line.tap(SUZUKI, flex, texts.FULL_TEXT)
    pieces = [m["text"] for m in reply if m["type"] == "text"]
    assert len(pieces) == 2 and len(reply) == 3 and reply[-1]["type"] == "flex"  # + the page link
    assert all(utf16_len(p) <= TEXT_MAX for p in pieces)
    assert "".join(pieces) == "【絵文字】\n" + body  # nothing lost, no emoji cut in half
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).where(Household.name == "鈴木 一郎"))
        assert d.read_at is not None and d.read_via == "button"


def test_full_text_that_cannot_be_sent_does_not_count_as_read(line, demo, db, fake, k, monkeypatch):
    from handlers.messages import builders as messages

    send_one_shot(line, body="あ" * 400 + "おわり")
    drain(db, k.line)
    flex = fake.sends("/multicast")[0].body["messages"]
    monkeypatch.setattr(messages, "long_text", lambda body, n: [{"type": "text", "text": "x" * 6000}])
    reply = line.tap(SUZUKI, flex, texts.FULL_TEXT)
    assert [m["type"] for m in reply] == ["flex"]  # only the page link went out
    with db.session() as s:
        d = s.scalar(select(Delivery).join(Household).where(Household.name == "鈴木 一郎"))
        assert d.read_at is None
        token = d.page_token
    assert line.client.get(f"/c/{token}").status_code == 200  # opening the page counts
    with db.session() as s:
        assert s.scalar(select(Delivery).where(Delivery.page_token == token)).read_via == "page"
