"""印刷 (the paper round) and LINE登録の案内 (join sheets): the printable lists per 班, the record
pages that enter what was ticked on paper as the chat's proxy would, the role rules, forged ids,
CSRF, the join sheets' QR code and 登録コード, reissuing a code, and `kairan channel … --friend-url`."""
from __future__ import annotations

import datetime as dt
import re

import pytest
import segno
import time_machine
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.cli import main as cli
from bot.dev.demo import demo_user_id
from handlers.messages import texts
from models import Attachment, AuditLog, Block, Channel, Circular, Delivery, DeliveryHistory, Disaster, Event, Household, Member, \
    MemberStatus, OutboxMessage, Role

from admin_kit import CHAIR, csrf_token, post_form, send_circular, set_role, sign_in
from chat import all_text
from conftest import member, user_id

JST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 11, 22, 10, 0, tzinfo=JST)  # a Sunday morning, outside the quiet hours
LEADER2 = demo_user_id("田中 実")  # 班長 of 2班
BOSAI = demo_user_id("小林 修")  # 防災担当, 3班
SATO = demo_user_id("佐藤 花子")  # 1班 resident
EVENT_FORM = "出欠 秋の清掃活動\n日時 12/5 9:00\n場所 東町公園\n締切 12/1\n人数 あり\n軍手をお持ちください。"
FRIEND_URL = "https://line.me/R/ti/p/@kairan-higashi"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def client(app):
    return app.test_client()


def ids(db, model, **where) -> dict[str, int]:
    with db.session() as s:
        return {r.name: r.id for r in s.scalars(select(model).filter_by(**where))}


def blocks(db) -> dict[str, int]:
    return ids(db, Block)


def households(db) -> dict[str, int]:
    return ids(db, Household)


def send_event(line, who=CHAIR) -> int:
    preview = line.text(who, EVENT_FORM)
    assert texts.SEND in all_text(preview), all_text(preview)
    line.tap(who, preview, texts.SEND)
    with line.client.application.extensions["kairan"].db.session() as s:
        return s.scalars(select(Event.id).order_by(Event.id.desc())).first()


def start_disaster(line, who=BOSAI) -> int:
    line.tap(who, line.text(who, "災害モード"), "地震")
    confirm = line.text(who, "大きな揺れがありました。")
    line.tap(who, confirm, texts.DISASTER_START)
    with line.client.application.extensions["kairan"].db.session() as s:
        return s.scalars(select(Disaster.id).order_by(Disaster.id.desc())).first()


def receipt(db, kind: str, subject_id: int, household_id: int) -> dict:
    """A receipt as plain values (with its history), to compare what two writers wrote."""
    with db.session() as s:
        d = s.scalar(select(Delivery).where(Delivery.of(kind, subject_id), Delivery.household_id == household_id,
                                            Delivery.person_key == 0))
        if d is None:
            return {}
        return {"read_at": d.read_at, "read_by": d.read_by_id, "read_via": d.read_via, "answer": d.answer,
                "data": d.answer_data, "answered_at": d.answered_at, "answered_by": d.answered_by_id,
                "proxy": d.answered_by_proxy, "via_line": d.via_line,
                "history": [(h.answer, h.answer_data, h.member_id, h.proxy, h.at) for h in d.history]}


def audits(db, action: str) -> list[tuple]:
    with db.session() as s:
        return [(a.actor_id, a.target, a.detail) for a in
                s.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def everything(db) -> tuple:
    """Receipts, their history, audit rows, outbox rows and codes: what a refused POST must leave alone."""
    with db.session() as s:
        return (s.execute(select(Delivery.id, Delivery.read_at, Delivery.read_via, Delivery.answer, Delivery.answer_data,
                                 Delivery.answered_by_id).order_by(Delivery.id)).all(),
                s.scalar(select(func.count()).select_from(DeliveryHistory)),
                s.scalar(select(func.count()).select_from(AuditLog)),
                s.scalar(select(func.count()).select_from(OutboxMessage)),
                s.execute(select(Household.id, Household.join_code).order_by(Household.id)).all())


def chair_id(db) -> int:
    return member(db, CHAIR).id


def post(client, page: str, data: dict, action: str | None = None):
    html = client.get(page)
    assert html.status_code == 200, html.get_data(as_text=True)[:300]
    return client.post(action or page, data={**data, "csrf_token": csrf_token(html.get_data(as_text=True))})


# --- the menu and the roles ----------------------------------------------------------------------


def test_menu_by_block_for_the_board(client, line, demo, db):
    c = send_circular(line)
    send_event(line)
    sign_in(client, line)
    b = blocks(db)
    html = client.get("/admin/prints").get_data(as_text=True)
    assert texts.PRINTS_PICK_BLOCK in html
    for name in ("1班", "2班", "3班"):
        assert f'href="/admin/prints?b={b[name]}"' in html
    assert "清掃のお知らせ" not in html  # nothing before a 班 is chosen
    html = client.get(f"/admin/prints?b={b['1班']}").get_data(as_text=True)
    assert texts.PRINTS_BLOCK.format(block="1班") in html
    assert f"/admin/prints/circulars/{c}?b={b['1班']}" in html
    assert texts.PRINTS_PAPER_COUNT.format(n=1) in html  # 高橋 和子, the paper household of 1班
    assert "秋の清掃活動" in html
    assert f"/admin/join-sheets?b={b['1班']}" in html
    assert texts.PRINT_SAFETY_NONE in html
    assert 'aria-current="page">印刷' in html  # the navigation bar marks 印刷


def test_block_leader_sees_own_block_only(client, line, demo, db):
    c = send_circular(line)
    sign_in(client, line, LEADER2)
    b = blocks(db)
    html = client.get("/admin/prints").get_data(as_text=True)
    assert texts.PRINTS_BLOCK.format(block="2班") in html
    assert f"/admin/prints?b={b['1班']}" not in html
    assert client.get(f"/admin/prints?b={b['2班']}").status_code == 200
    for url in (f"/admin/prints?b={b['1班']}", f"/admin/prints/circulars/{c}?b={b['1班']}",
                f"/admin/prints/circulars/{c}/record?b={b['1班']}", f"/admin/join-sheets?b={b['3班']}",
                f"/admin/join-sheets?h={households(db)['高橋 和子']}", "/admin/prints?b=x"):
        assert client.get(url).status_code == 404, url
    # without ?b= a block leader's own 班
    assert "伊藤 美咲" in client.get("/admin/join-sheets").get_data(as_text=True)


def test_residents_cannot_open_the_pages(client, line, demo, db):
    sign_in(client, line)
    set_role(db, CHAIR, Role.member)  # the role is checked again on every request
    assert client.get("/admin/prints").status_code == 403
    assert client.get("/admin/join-sheets").status_code == 403


# --- a circular on paper ----------------------------------------------------------------------


def test_printable_circular_lists_the_paper_households_with_a_box(client, line, demo, db):
    with db.session() as s:  # 吉田 勇 (3班, on no LINE yet) gets a member: 3班 then has no paper household
        h = s.scalar(select(Household).where(Household.name == "吉田 勇"))
        s.add(Member(association_id=h.association_id, household_id=h.id, block_id=h.block_id, name="吉田 勇",
                     line_user_id=user_id("yoshida"), role=Role.member, status=MemberStatus.active))
    c = send_circular(line, body="11月30日に公園の清掃をします。\n軍手をお持ちください。")
    sign_in(client, line)
    b = blocks(db)
    resp = client.get(f"/admin/prints/circulars/{c}?b={b['1班']}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "<h1>清掃のお知らせ</h1>" in html
    assert "軍手をお持ちください。" in html
    assert texts.PRINT_CIRCULAR_HEAD.format(association="東町自治会", block="1班") in html
    assert texts.PRINT_SENT_ON.format(date="2026年11月22日") in html
    table = html.split('id="households"')[1].split("</table>")[0]
    assert "高橋 和子 様" in table and table.count('class="box"') == 1
    for on_line in ("山田 太郎", "佐藤 花子", "鈴木 一郎", "田中 実"):
        assert on_line not in table
    assert 'class="noprint"' in html  # the back link and the hint are not printed
    # a 班 without paper households: the circular, and a sentence instead of the table
    html = client.get(f"/admin/prints/circulars/{c}?b={b['3班']}").get_data(as_text=True)
    assert texts.PRINT_NO_PAPER in html and 'id="households"' not in html


def test_printable_circular_says_attachments_are_printed_separately(client, line, demo, db):
    c = send_circular(line)
    sign_in(client, line)
    url = f"/admin/prints/circulars/{c}?b={blocks(db)['1班']}"
    assert texts.PRINT_ATTACHMENTS.format(n=1) not in client.get(url).get_data(as_text=True)
    with db.session() as s:
        circ = s.get(Circular, c)
        circ.attachments.append(Attachment(association_id=circ.association_id, kind="image", filename="map.png",
                                           content_type="image/png", data=b"\x89PNG map"))
    assert texts.PRINT_ATTACHMENTS.format(n=1) in client.get(url).get_data(as_text=True)


def test_household_marked_paper_is_listed_though_delivered_on_line(client, line, demo, db):
    with db.session() as s:
        s.scalar(select(Household).where(Household.name == "佐藤 花子")).paper = True
    c = send_circular(line)
    sign_in(client, line)
    html = client.get(f"/admin/prints/circulars/{c}?b={blocks(db)['1班']}").get_data(as_text=True)
    table = html.split('id="households"')[1].split("</table>")[0]
    assert "佐藤 花子 様" in table and "高橋 和子 様" in table


def test_circular_record_marks_read_on_paper_and_audits(client, line, demo, db):
    c = send_circular(line)
    with db.session() as s:
        s.scalar(select(Household).where(Household.name == "鈴木 一郎")).paper = True
    sign_in(client, line)
    b, h = blocks(db), households(db)
    page = f"/admin/prints/circulars/{c}/record?b={b['1班']}"
    html = client.get(page).get_data(as_text=True)
    assert f'name="h{h["高橋 和子"]}"' in html and f'name="h{h["鈴木 一郎"]}"' in html
    assert f'name="h{h["佐藤 花子"]}"' not in html
    resp = post(client, page, {f"h{h['高橋 和子']}": "1"})
    assert resp.status_code == 303
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert texts.RECORD_SAVED.format(n=1) in html
    r = receipt(db, "circular", c, h["高橋 和子"])
    assert r["read_at"] is not None and r["read_by"] == chair_id(db) and r["read_via"] == "proxy"
    assert r["answer"] is None and not r["via_line"]
    assert receipt(db, "circular", c, h["鈴木 一郎"])["read_at"] is None  # not ticked
    assert audits(db, "circular.paper_read") == [(chair_id(db), f"circular:{c}", {"household": h["高橋 和子"]})]
    # the read rate the officers see counts it
    assert "既読 1/12世帯" in client.get(f"/admin/circulars/{c}").get_data(as_text=True)
    # ticking it again changes nothing (the first read wins) and logs nothing new
    assert f'name="h{h["高橋 和子"]}"' not in client.get(page).get_data(as_text=True)  # 既読 now, no box
    resp = post(client, page, {f"h{h['高橋 和子']}": "1"})  # sent again anyway: the first read stays
    assert texts.RECORD_NOTHING in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert receipt(db, "circular", c, h["高橋 和子"]) == r
    resp = post(client, page, {})  # nothing ticked
    assert texts.RECORD_NOTHING in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert len(audits(db, "circular.paper_read")) == 1


def test_circular_record_refuses_forged_households(client, line, demo, db):
    c = send_circular(line)
    sign_in(client, line)
    b, h = blocks(db), households(db)
    page = f"/admin/prints/circulars/{c}/record?b={b['1班']}"
    before = everything(db)
    for forged in (h["佐藤 花子"],  # on LINE: not on the paper list
                   h["中村 幸子"],  # another 班
                   999999):
        resp = post(client, page, {f"h{h['高橋 和子']}": "1", f"h{forged}": "1"})
        assert resp.status_code == 404, forged
    assert everything(db) == before


def test_circular_record_refuses_posts_without_the_csrf_token(client, line, demo, db):
    c = send_circular(line)
    sign_in(client, line)
    b, h = blocks(db), households(db)
    page = f"/admin/prints/circulars/{c}/record?b={b['1班']}"
    before = everything(db)
    for token in (None, "wrong"):
        data = {f"h{h['高橋 和子']}": "1", **({"csrf_token": token} if token else {})}
        assert client.post(page, data=data).status_code == 400
    assert everything(db) == before


def test_block_leader_cannot_record_for_another_block(client, line, demo, db):
    c = send_circular(line)
    sign_in(client, line, LEADER2)
    b, h = blocks(db), households(db)
    before = everything(db)
    token = csrf_token(client.get("/admin/prints").get_data(as_text=True))
    resp = client.post(f"/admin/prints/circulars/{c}/record?b={b['1班']}",
                       data={f"h{h['高橋 和子']}": "1", "csrf_token": token})
    assert resp.status_code == 404
    assert everything(db) == before


# --- an event's attendance sheet ---------------------------------------------------------------


def test_event_sheet_has_answer_boxes_and_head_count(client, line, demo, db):
    ev = send_event(line)
    line.postback(SATO, f"a=ev_ans&e={ev}&v=no")  # 佐藤 answers on LINE
    sign_in(client, line)
    b = blocks(db)
    html = client.get(f"/admin/prints/events/{ev}?b={b['1班']}").get_data(as_text=True)
    assert "<h1>秋の清掃活動</h1>" in html and "東町公園" in html
    table = html.split('id="households"')[1].split("</table>")[0]
    for label in ("参加", "不参加", "未定", texts.PRINT_COL_HEADS):
        assert f"<th>{label}</th>" in table
    names = re.findall(r"<td data-label=\"世帯\">(.+?) 様", table)
    assert names == ["高橋 和子", "山田 太郎", "佐藤 花子", "鈴木 一郎"]  # the paper household first
    assert table.count('class="box"') == 3 * 4
    assert "不参加（LINE）" in table


def test_event_record_writes_what_the_chat_proxy_writes(client, line, demo, db, clock):
    ev = send_event(line)
    h = households(db)
    # the chat's 代理回答 for 高橋 (参加, 2人) …
    with db.session() as s:
        d_chat = s.scalar(select(Delivery.id).where(Delivery.of("event", ev), Delivery.household_id == h["高橋 和子"]))
    line.postback(CHAIR, f"a=ev_pans&d={d_chat}&v=yes")
    line.postback(CHAIR, f"a=ev_cnt&d={d_chat}&n=2&p=1")
    line.postback(CHAIR, f"a=ev_note&d={d_chat}&p=1")
    by_chat = receipt(db, "event", ev, h["高橋 和子"])
    assert by_chat["answer"] == "yes" and by_chat["data"] == {"count": 2} and by_chat["proxy"]
    # … and the record page for 鈴木 (the same answer): the same receipt
    sign_in(client, line)
    page = f"/admin/prints/events/{ev}/record?b={blocks(db)['1班']}"
    resp = post(client, page, {f"a{h['鈴木 一郎']}": "yes", f"n{h['鈴木 一郎']}": "2",
                               f"a{h['佐藤 花子']}": "maybe", f"n{h['佐藤 花子']}": "",
                               f"a{h['山田 太郎']}": ""})  # そのまま
    assert resp.status_code == 303
    assert texts.RECORD_SAVED.format(n=2) in client.get(resp.headers["Location"]).get_data(as_text=True)
    by_web = receipt(db, "event", ev, h["鈴木 一郎"])
    assert by_chat.pop("via_line") is False and by_web.pop("via_line") is True  # 高橋 on paper, 鈴木 on LINE
    assert by_web == by_chat
    sato = receipt(db, "event", ev, h["佐藤 花子"])
    assert sato["answer"] == "maybe" and sato["proxy"] and sato["answered_by"] == chair_id(db)
    assert receipt(db, "event", ev, h["山田 太郎"])["answer"] is None
    web_audits = [a for a in audits(db, "event.proxy") if a[2].get("via") == "paper"]
    assert web_audits == [(chair_id(db), f"event:{ev}", {"household": h["佐藤 花子"], "answer": "maybe", "via": "paper"}),
                          (chair_id(db), f"event:{ev}", {"household": h["鈴木 一郎"], "answer": "yes", "via": "paper"})]
    # the page shows the answers now
    html = client.get(f"/admin/prints/events/{ev}?b={blocks(db)['1班']}").get_data(as_text=True)
    assert "参加（2人）（代理）" in html and "未定（代理）" in html


def test_event_record_refuses_forged_ids_bad_counts_and_closed_events(client, line, demo, db, clock):
    ev = send_event(line)
    sign_in(client, line)
    b, h = blocks(db), households(db)
    page = f"/admin/prints/events/{ev}/record?b={b['1班']}"
    before = everything(db)
    assert post(client, page, {f"a{h['中村 幸子']}": "yes"}).status_code == 404  # 2班
    assert post(client, page, {f"a{h['高橋 和子']}": "attend"}).status_code == 404  # no such answer
    assert post(client, page, {f"a{h['高橋 和子']}": "yes", f"n{h['高橋 和子']}": "0"}).status_code == 400
    assert post(client, page, {f"a{h['高橋 和子']}": "yes", f"n{h['高橋 和子']}": "100"}).status_code == 400
    assert client.get(f"/admin/prints/events/{ev + 1}?b={b['1班']}").status_code == 404
    assert everything(db) == before
    with db.session() as s:  # past the deadline: as the chat, no answers
        s.get(Event, ev).deadline = NOW - dt.timedelta(minutes=1)
    html = client.get(page).get_data(as_text=True)
    assert texts.RECORD_EVENT_CLOSED in html and 'name="a' not in html
    token = csrf_token(html)
    assert client.post(page, data={f"a{h['高橋 和子']}": "yes", "csrf_token": token}).status_code == 409
    assert everything(db) == before


def test_event_record_refuses_a_cancelled_event(client, line, demo, db, clock):
    """中止 on the dashboard: the chat's buttons then record nothing, and neither does paper."""
    ev = send_event(line)
    sign_in(client, line)
    b, h = blocks(db), households(db)
    fix = f"/admin/events/{ev}/fix"
    assert post_form(client, fix + "?action=cancel", fix,
                     {"action": "cancel", "note": "雨天のため中止します", "confirm": "1"}).status_code == 303
    page = f"/admin/prints/events/{ev}/record?b={b['1班']}"
    before = everything(db)
    resp = post(client, page, {f"a{h['高橋 和子']}": "yes"})
    assert resp.status_code == 409 and texts.RECORD_EVENT_HALTED.format(what="（中止）") in resp.get_data(as_text=True)
    assert everything(db) == before


# --- the 安否確認 checklist ---------------------------------------------------------------------


def test_safety_checklist_support_first_with_status_boxes(client, line, demo, db):
    sign_in(client, line)
    b = blocks(db)
    html = client.get(f"/admin/prints?b={b['2班']}").get_data(as_text=True)
    assert texts.PRINT_SAFETY_NONE in html
    assert client.get(f"/admin/prints/safety?b={b['2班']}").status_code == 404
    d = start_disaster(line)
    line.postback(demo_user_id("伊藤 美咲"), f"a=sf&d={d}&s=safe")
    html = client.get(f"/admin/prints/safety?b={b['2班']}").get_data(as_text=True)
    assert texts.PRINT_SAFETY_HEAD.format(association="東町自治会", block="2班") in html
    table = html.split('id="households"')[1].split("</table>")[0]
    names = re.findall(r"<td data-label=\"世帯\">(.+?) 様", table)
    assert names == ["中村 幸子", "田中 実", "伊藤 美咲", "渡辺 健"]  # 要支援 first
    for label in ("無事", "避難", "けが", "救助", texts.PRINT_COL_TIME, texts.PRINT_COL_VISITOR, texts.PRINT_COL_SUPPORT):
        assert f"<th>{label}</th>" in table
    assert table.count('class="box"') == 4 * 4


def test_safety_record_writes_what_the_chat_proxy_writes(client, line, demo, db, fake):
    d = start_disaster(line)
    h = households(db)
    line.postback(LEADER2, f"a=sfp_s&d={d}&h={h['渡辺 健']}&s=evacuated")  # the chat's [代理で記録]
    by_chat = receipt(db, "safety", d, h["渡辺 健"])
    assert by_chat["answer"] == "evacuated" and by_chat["proxy"]
    sign_in(client, line, LEADER2)
    page = f"/admin/prints/safety/record?b={blocks(db)['2班']}&d={d}"
    outbox = len(fake.sends())
    with db.session() as s:
        rows_before = s.scalar(select(func.count()).select_from(OutboxMessage))
    resp = post(client, page, {f"s{h['中村 幸子']}": "evacuated", f"s{h['伊藤 美咲']}": "rescue", f"s{h['田中 実']}": ""})
    assert resp.status_code == 303
    by_web = receipt(db, "safety", d, h["中村 幸子"])
    assert by_chat.pop("via_line") is False and by_web.pop("via_line") is True  # 渡辺 has nobody on LINE
    assert by_web == by_chat
    ito = receipt(db, "safety", d, h["伊藤 美咲"])
    assert ito["answer"] == "rescue" and ito["proxy"] and ito["answered_by"] == member(db, LEADER2).id
    assert receipt(db, "safety", d, h["田中 実"])["answer"] is None
    leader = member(db, LEADER2).id
    assert [a for a in audits(db, "safety.proxy") if a[2].get("via") == "paper"] == [
        (leader, f"household:{h['伊藤 美咲']}", {"status": "rescue", "via": "paper"}),
        (leader, f"household:{h['中村 幸子']}", {"status": "evacuated", "via": "paper"})]
    # 救助: the urgent alert, queued in the outbox as the chat would (never sent from the request)
    with db.session() as s:
        alerts = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("rescue:%"))).all()
        assert len(alerts) == 1 and s.scalar(select(func.count()).select_from(OutboxMessage)) == rows_before + 1
    assert len(fake.sends()) == outbox
    html = client.get(f"/admin/prints/safety?b={blocks(db)['2班']}").get_data(as_text=True)
    assert "避難しました" in html and "（代理）" in html


def test_safety_record_for_a_household_added_after_the_start(client, line, demo, db):
    d = start_disaster(line)
    with db.session() as s:  # a household joins 2班 after the check went out: no receipt yet
        b2 = s.scalar(select(Block).where(Block.name == "2班"))
        h = Household(association_id=b2.association_id, block_id=b2.id, name="新井 和夫", join_code="1111-2222-3333")
        s.add(h)
        s.flush()
        hid = h.id
    sign_in(client, line, LEADER2)
    page = f"/admin/prints/safety/record?b={blocks(db)['2班']}&d={d}"
    assert "新井 和夫 様" in client.get(f"/admin/prints/safety?b={blocks(db)['2班']}").get_data(as_text=True)
    assert post(client, page, {f"s{hid}": "safe"}).status_code == 303
    r = receipt(db, "safety", d, hid)
    assert r["answer"] == "safe" and r["proxy"] and not r["via_line"] and r["answered_by"] == member(db, LEADER2).id


def test_safety_record_refuses_forged_ids_and_an_ended_mode(client, line, demo, db):
    d = start_disaster(line)
    sign_in(client, line, LEADER2)
    b, h = blocks(db), households(db)
    page = f"/admin/prints/safety/record?b={b['2班']}&d={d}"
    before = everything(db)
    assert post(client, page, {f"s{h['高橋 和子']}": "safe"}).status_code == 404  # 1班
    assert post(client, page, {f"s{h['伊藤 美咲']}": "fine"}).status_code == 404
    assert client.get(f"/admin/prints/safety/record?b={b['2班']}&d={d + 1}").status_code == 404
    assert client.get(f"/admin/prints/safety/record?b={b['1班']}&d={d}").status_code == 404
    assert everything(db) == before
    with db.session() as s:
        s.get(Disaster, d).ended_at = s.get(Disaster, d).started_at + dt.timedelta(hours=1)
    html = client.get(page).get_data(as_text=True)
    assert texts.RECORD_SAFETY_CLOSED in html
    before = everything(db)
    assert client.post(page, data={f"s{h['伊藤 美咲']}": "safe", "csrf_token": csrf_token(html)}).status_code == 409
    assert everything(db) == before
    # the ended mode still prints (the latest one)
    assert texts.PRINT_SAFETY_ENDED in client.get(f"/admin/prints/safety?b={b['2班']}").get_data(as_text=True)


# --- join sheets ---------------------------------------------------------------------------------


def set_friend_url(db, url: str | None) -> None:
    """The association gets a channel of its own with an add-friend link (the CLI's path is tested below)."""
    with db.session() as s:
        aid = s.scalar(select(Household.association_id).limit(1))
        s.add(Channel(bot_user_id="U" + "a" * 32, label="東町", association_id=aid, secret_enc="x", token_enc="x",
                      friend_url=url))


def test_join_sheet_per_block_one_page_per_household_with_qr_and_code(client, line, demo, db):
    set_friend_url(db, FRIEND_URL)
    sign_in(client, line)
    b = blocks(db)
    html = client.get(f"/admin/join-sheets?b={b['2班']}").get_data(as_text=True)
    with db.session() as s:
        codes = {h.name: h.join_code for h in s.scalars(select(Household).where(Household.block_id == b["2班"]))}
    assert len(codes) == 4
    assert html.count('<section class="join"') == 4
    for name, code in codes.items():
        assert texts.JOIN_TO.format(household=name, block="2班") in html
        assert f'<p class="code">{code}</p>' in html
    for line_ in texts.JOIN_STEPS:
        assert line_ in html
    # the QR code is segno's drawing of the friend URL, inline (no image request, no script)
    expected = segno.make_qr(FRIEND_URL, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff",
                                                              title=texts.JOIN_CODE, svgclass="qr")
    assert html.count(expected) == 4
    assert "<script" not in html and "<img" not in html
    assert "break-after: page" in html  # one household a sheet when printed
    # one household's sheet
    hid = households(db)["渡辺 健"]
    html = client.get(f"/admin/join-sheets?h={hid}").get_data(as_text=True)
    assert html.count('<section class="join"') == 1 and codes["渡辺 健"] in html and expected in html
    # only the households nobody has registered yet: 渡辺 健 (田中, 伊藤, 中村 are on LINE)
    html = client.get(f"/admin/join-sheets?b={b['2班']}&only=new").get_data(as_text=True)
    assert html.count('<section class="join"') == 1 and codes["渡辺 健"] in html


def test_join_sheet_without_friend_url_says_how_to_set_it(client, line, demo, db):
    sign_in(client, line)
    html = client.get(f"/admin/join-sheets?b={blocks(db)['1班']}").get_data(as_text=True)
    assert texts.JOIN_NO_FRIEND_URL in html and "<svg" not in html
    assert texts.JOIN_NO_FRIEND_URL_SHEET in html
    # the board without ?b=: the 班 to pick
    html = client.get("/admin/join-sheets").get_data(as_text=True)
    assert f"/admin/join-sheets?b={blocks(db)['3班']}" in html


def test_join_sheet_forged_ids(client, line, demo, db):
    sign_in(client, line)
    for url in ("/admin/join-sheets?h=999999", "/admin/join-sheets?b=999999", "/admin/join-sheets?h=abc",
                "/admin/join-sheets/999999/reissue"):
        assert client.get(url).status_code == 404, url


def test_reissued_code_works_and_the_old_one_does_not(client, line, chat, demo, db):
    h = households(db)["吉田 勇"]
    with db.session() as s:
        old = s.get(Household, h).join_code
    sign_in(client, line)
    page = f"/admin/join-sheets/{h}/reissue"
    html = client.get(page).get_data(as_text=True)
    assert texts.JOIN_REISSUE_WARN.format(code=old) in html
    before = everything(db)
    assert client.post(page, data={}).status_code == 400  # no CSRF token
    assert client.post(page, data={"csrf_token": "forged"}).status_code == 400
    assert everything(db) == before
    resp = post(client, page, {})
    assert resp.status_code == 303
    with db.session() as s:
        new = s.get(Household, h).join_code
    assert new != old and re.fullmatch(r"\d{4}-\d{4}-\d{4}", new)
    assert texts.JOIN_REISSUED.format(code=new) in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert audits(db, "household.join_code") == [
        (chair_id(db), f"household:{h}", {"before": {"join_code": "…" + old[-4:]}, "after": {"join_code": "…" + new[-4:]}})]
    # registering through the webhook: the old code is unknown, the new one links the household
    uid = user_id("yoshida-daughter")
    chat.tap(uid, chat.follow(uid), texts.AGREE)
    assert texts.JOIN_CODE_UNKNOWN in all_text(chat.text(uid, f"登録コード {old}"))
    assert member(db, uid).household_id is None
    chat.text(uid, f"登録コード {new}")
    assert "登録が完了しました" in all_text(chat.text(uid, "吉田 花"))
    m = member(db, uid)
    assert m.household_id == h and m.status == MemberStatus.active


def test_block_leader_reissues_only_in_own_block(client, line, demo, db):
    sign_in(client, line, LEADER2)
    h = households(db)
    before = everything(db)
    token = csrf_token(client.get("/admin/join-sheets").get_data(as_text=True))
    assert client.post(f"/admin/join-sheets/{h['吉田 勇']}/reissue", data={"csrf_token": token}).status_code == 404
    assert client.get(f"/admin/join-sheets/{h['吉田 勇']}/reissue").status_code == 404
    assert everything(db) == before
    assert client.post(f"/admin/join-sheets/{h['渡辺 健']}/reissue", data={"csrf_token": token}).status_code == 303


# --- the CLI: the friend URL of a channel ------------------------------------------------------------


def test_cli_friend_url_on_add_and_on_an_existing_channel(db_url, demo, db):
    env = {"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
           "KAIRAN_ASSOCIATION": None, "KAIRAN_SECRET_KEY": None, "KAIRAN_CHANNEL_KEYS": Fernet.generate_key().decode()}
    bot_id = "U" + "b" * 32

    def run(cli, args):
        return CliRunner(env=env).invoke(cli, args)
    out = run(cli, ["channel", "add", "--association", "higashi", "--bot-user-id", bot_id, "--secret", "s3cret",
                    "--token", "t0ken", "--friend-url", "ftp://x"])
    assert out.exit_code != 0 and "--friend-url" in out.output
    out = run(cli, ["channel", "add", "--association", "higashi", "--bot-user-id", bot_id, "--secret", "s3cret",
                    "--token", "t0ken", "--friend-url", FRIEND_URL])
    assert out.exit_code == 0, out.output
    with db.session() as s:
        assert s.scalar(select(Channel.friend_url).where(Channel.bot_user_id == bot_id)) == FRIEND_URL
    assert FRIEND_URL in run(cli, ["channel", "list"]).output
    out = run(cli, ["channel", "friend-url", "--bot-user-id", bot_id, "https://lin.ee/abcdEFG"])
    assert out.exit_code == 0, out.output
    with db.session() as s:
        assert s.scalar(select(Channel.friend_url).where(Channel.bot_user_id == bot_id)) == "https://lin.ee/abcdEFG"
        a = s.scalars(select(AuditLog).where(AuditLog.action == "channel.friend_url")).one()
        assert a.detail["before"] == {"friend_url": FRIEND_URL} and a.detail["after"] == {"friend_url": "https://lin.ee/abcdEFG"}
    for bad in (["http://line.me/x"], ["line.me/R/ti/p/@x"], []):
        out = run(cli, ["channel", "friend-url", "--bot-user-id", bot_id, *bad])
        assert out.exit_code != 0, bad
    out = run(cli, ["channel", "friend-url", "--bot-user-id", bot_id, "--clear"])
    assert out.exit_code == 0, out.output
    with db.session() as s:
        assert s.scalar(select(Channel.friend_url).where(Channel.bot_user_id == bot_id)) is None
