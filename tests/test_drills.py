"""Drills (訓練, issue 14): 「訓練」 starts the same safety check marked 【訓練】, its results kept
apart from real disasters; planned (unannounced) ones start by themselves; the report gives the
exact times at which 25/50/75/90 % of households had answered, the curve, per 班, the silent ones,
this 年度 against last."""
import datetime as dt

from sqlalchemy import func, select

from bot.outbox import drain
from handlers.messages import texts
from models import Association, Delivery, Disaster, DrillPlan, Municipality, OutboxMessage
from models.city import city_figures
from scheduler.safety import reask, start_planned_drills

from admin_kit import sign_in
from chat import all_text
from drills_kit import KATO, SUZUKI, YAMAMOTO, delivery_id, household_id, start_drill, the_disaster
from safety_kit import BOSAI, CHAIR, ITO, LEADER2, NAKAMURA, SATO, T0, check_of, clock, pushes, start  # noqa: F401


def texts_to(fake, user, after=0):
    out = []
    for q in pushes(fake, after):
        if user in (q.body.get("to") if isinstance(q.body.get("to"), list) else [q.body.get("to")]):
            out += q.body["messages"]
    return out


def test_only_the_chair_and_disaster_officers_start_a_drill(line, demo, db, clock):
    assert all_text(line.text(SATO, texts.CMD_DRILL)) == texts.OFFICERS_ONLY
    assert all_text(line.text(LEADER2, texts.CMD_DRILL)) == texts.DRILL_ONLY_ROLES
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Disaster)) == 0


def test_a_drill_is_the_safety_check_marked_in_every_message(line, demo, db, fake, k, clock):
    confirm, started = start_drill(line)
    assert texts.DRILL_CONFIRM_NOW in all_text(confirm) and texts.DRILL_MARK in all_text(confirm)
    assert texts.DRILL_STARTED.format(kind="地震") in all_text(started)
    d = the_disaster(db)
    assert d.drill and d.ended_at is None
    drain(db, k.line)
    (mc,) = fake.sends("/multicast")
    card = mc.body["messages"][0]
    assert card["altText"].startswith("【訓練】【安否確認】")
    assert card["contents"]["body"]["contents"][0]["text"].startswith(texts.DRILL_MARK)
    # the paper / 要支援 visit lists of the start, to the block leaders, are marked too
    visits = [m for q in pushes(fake) for m in q.body["messages"] if "訪問" in all_text([m])]
    assert visits and all(all_text([m]).startswith(texts.DRILL_MARK) for m in visits)
    reply = line.tap(SATO, [check_of(fake, SATO)], "救助が必要")
    assert all(all_text([m]).startswith(texts.DRILL_MARK) for m in reply)
    drain(db, k.line)
    alerts = [m for q in pushes(fake) for m in q.body["messages"] if "救助要請" in all_text([m])]
    assert alerts and all(all_text([m]).startswith("【訓練】【救助要請】") for m in alerts)
    board = line.text(CHAIR, "安否状況")
    assert all(all_text([m]).startswith(texts.DRILL_MARK) for m in board)


def test_drill_end_tells_residents_it_was_a_drill_not_urgent(line, demo, db, fake, k, clock):
    start_drill(line)
    drain(db, k.line)
    before = len(fake.sends())
    q = line.text(BOSAI, texts.CMD_DRILL_END)
    assert texts.DRILL_END_CONFIRM in all_text(q)
    done = line.tap(BOSAI, q, texts.DISASTER_END_YES)
    assert texts.DRILL_ENDED in all_text(done) and "【訓練終了】" in all_text(done)
    with db.session() as s:
        (row,) = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("disaster-end-residents:%"))).all()
        assert row.priority == 0  # an ordinary message, not before anything urgent
    drain(db, k.line)
    assert texts.DRILL_END_RESIDENTS in all_text(texts_to(fake, SATO, before))
    assert texts.DISASTER_END_RESIDENTS not in all_text(texts_to(fake, SATO, before))
    assert "【訓練終了】" in all_text(texts_to(fake, CHAIR, before))  # the officers: the summary
    assert the_disaster(db).ended_at is not None


def test_a_real_disaster_ends_the_drill_and_is_not_mixed_with_it(line, demo, db, fake, k, clock):
    start_drill(line)
    drain(db, k.line)
    line.tap(SATO, [check_of(fake, SATO)], "無事")
    drill = the_disaster(db)
    assert all_text(line.text(CHAIR, texts.CMD_DRILL)) == texts.DRILL_ALREADY
    clock.shift(dt.timedelta(minutes=3))
    start(line)  # 災害モード during a drill: the drill ends, the real one starts
    with db.session() as s:
        rows = s.scalars(select(Disaster).order_by(Disaster.id)).all()
        assert [(r.drill, r.ended_at is not None) for r in rows] == [(True, True), (False, False)]
    drain(db, k.line)
    real = check_of(fake, SATO)
    assert not real["altText"].startswith(texts.DRILL_MARK)
    # the drill's answer is not the real one's: the household is still silent there
    assert delivery_id(db, "佐藤 花子") != 0
    with db.session() as s:
        answers = s.execute(select(Delivery.disaster_id, Delivery.answer).join(Delivery.household)
                            .where(Delivery.of_kind("safety"), Delivery.household_id == household_id(db, "佐藤 花子"))
                            .order_by(Delivery.disaster_id)).all()
    assert answers == [(drill.id, "safe"), (drill.id + 1, None)]
    assert all_text(line.text(CHAIR, texts.CMD_DRILL)) == texts.DRILL_DURING_DISASTER


def test_the_city_does_not_see_a_drill_as_disaster_mode(line, demo, db, clock):
    with db.session() as s:
        a = s.scalar(select(Association))
        a.municipality_id = s.scalar(select(Municipality.id)) or s.merge(Municipality(name="みなと市", code="139999")).id
        s.flush()
        mid = a.municipality_id
    start_drill(line)
    with db.session() as s:
        assert [f.disaster for f in city_figures(s, mid, T0)] == [None]
    line.tap(BOSAI, line.text(BOSAI, texts.CMD_DRILL_END), texts.DISASTER_END_YES)
    start(line)
    with db.session() as s:
        assert [f.disaster for f in city_figures(s, mid, T0)] == ["quake"]


def test_a_planned_drill_starts_by_itself_at_its_time(line, demo, db, fake, k, clock):
    # T0 is 23:40 on 11/22 (JST): the drill is planned for 9:00 the next morning, unannounced
    confirm, planned = start_drill(line, when="2026-11-23T09:00")
    assert texts.DRILL_CONFIRM_AT.format(at="11月23日 9:00") in all_text(confirm)
    assert texts.DRILL_PLANNED.split("{")[0] in all_text(planned)
    with db.session() as s:
        (plan,) = s.scalars(select(DrillPlan)).all()
        assert plan.state == "planned"
        assert s.scalar(select(func.count()).select_from(Disaster)) == 0
    drain(db, k.line)
    assert fake.sends("/multicast") == []  # nobody hears of it before
    clock.move_to(dt.datetime(2026, 11, 23, 8, 59, tzinfo=T0.tzinfo))
    assert start_planned_drills(k) == 0
    clock.move_to(dt.datetime(2026, 11, 23, 9, 0, 30, tzinfo=T0.tzinfo))
    assert start_planned_drills(k) == 1
    assert start_planned_drills(k) == 0  # once
    d = the_disaster(db)
    assert d.drill and d.started_by_id is not None
    drain(db, k.line)
    assert check_of(fake, SATO)["altText"].startswith(texts.DRILL_MARK)
    assert texts.DRILL_PLAN_STARTED.format(kind="地震") in all_text(texts_to(fake, BOSAI))
    with db.session() as s:
        assert s.scalars(select(DrillPlan)).one().state == "started"


def test_a_planned_drill_waits_not_for_a_disaster_and_can_be_called_off(line, demo, db, fake, k, clock):
    start_drill(line, when="2026-11-23T09:00")
    again = line.text(CHAIR, texts.CMD_DRILL)  # one plan at a time: it can be called off
    assert "11月23日" in all_text(again)
    start(line)  # a real disaster meanwhile
    clock.move_to(dt.datetime(2026, 11, 23, 9, 1, tzinfo=T0.tzinfo))
    assert start_planned_drills(k) == 0
    with db.session() as s:
        assert s.scalars(select(DrillPlan)).one().state == "skipped"
        assert s.scalar(select(func.count()).select_from(Disaster).where(Disaster.drill.is_(True))) == 0
    drain(db, k.line)
    assert texts.DRILL_PLAN_SKIPPED.format(kind="地震") in all_text(texts_to(fake, BOSAI))


def test_calling_off_a_plan(line, demo, db, clock):
    start_drill(line, when="2026-11-23T09:00")
    q = line.text(CHAIR, texts.CMD_DRILL)
    assert all_text(line.tap(CHAIR, q, texts.DRILL_PLAN_CANCEL)) == texts.DRILL_PLAN_CANCELLED
    with db.session() as s:
        assert s.scalars(select(DrillPlan)).one().state == "cancelled"


def test_a_drill_time_in_the_past_is_asked_again(line, demo, db, clock):
    q = line.text(BOSAI, texts.CMD_DRILL)
    q = line.tap(BOSAI, q, "地震")
    again = line.tap(BOSAI, q, texts.DRILL_PICK_TIME, value="2026-11-22T09:00")
    assert texts.DRILL_BAD_TIME.format(days=30) in all_text(again)


# --- the report: a scripted set of answers under time travel ---------------------------------
# 12 households. minutes after the start at which each household first answers:
SCRIPT = [(2, SATO), (3, CHAIR), (5, ITO), (7, SUZUKI), (8, LEADER2), (12, NAKAMURA), (15, BOSAI), (20, KATO),
          (30, YAMAMOTO)]
# then two proxies: 高橋 和子 (paper, 1班) by the chair at 40, 渡辺 健 (2班) by the 班長 at 55; 吉田 勇 never


def run_script(line, db, fake, k, clock):
    start_drill(line)
    d = the_disaster(db)
    drain(db, k.line)
    cards = {u: check_of(fake, u) for _, u in SCRIPT}
    at = 0
    for minute, user in SCRIPT:
        clock.shift(dt.timedelta(minutes=minute - at))
        at = minute
        line.tap(user, [cards[user]], "無事")
    for minute, user, household in ((40, CHAIR, "高橋 和子"), (55, LEADER2, "渡辺 健")):
        clock.shift(dt.timedelta(minutes=minute - at))
        at = minute
        line.postback(user, f"a=sfp_s&d={d.id}&h={household_id(db, household)}&s=safe")
    clock.shift(dt.timedelta(minutes=5))
    line.tap(SATO, [cards[SATO]], "避難しました")  # a later change: the household's first answer counts
    return d


def test_the_report_gives_the_exact_times_of_25_50_75_90_percent(app, line, demo, db, fake, k, clock):
    d = run_script(line, db, fake, k, clock)
    clock.shift(dt.timedelta(minutes=5))
    q = line.text(BOSAI, texts.CMD_DRILL_END)
    line.tap(BOSAI, q, texts.DISASTER_END_YES)
    client = app.test_client()
    sign_in(client, line, CHAIR)
    page = client.get(f"/admin/drills/{d.id}").get_data(as_text=True)
    marks = page.split('id="drill-marks"')[1].split("</table>")[0]
    rows = {p: marks.split(f'data-pct="{p}"')[1].split("</tr>")[0] for p in (25, 50, 75, 90)}
    # 25 % of 12 is the 3rd answer (5 min, 23:45), 50 % the 6th (12), 75 % the 9th (30), 90 % the 11th (55)
    assert "開始から5分（23時45分）" in rows[25]
    assert "開始から12分（23時52分）" in rows[50]
    assert "開始から30分（0時10分）" in rows[75]
    assert "開始から55分（0時35分）" in rows[90]
    assert texts.DRILL_REPORT_SUMMARY.format(total=12, answered=11, pct=92) in page
    silent = page.split('id="drill-silent"')[1].split("</ul>")[0]
    assert "吉田 勇様" in silent and "佐藤 花子" not in silent
    blocks = page.split('id="drill-blocks"')[1].split("</table>")[0]
    assert "<td>3班</td><td>3</td><td>4</td><td>75%</td><td>20分</td>" in blocks  # 15, 20, 30: the 2nd of 4
    assert "<td>1班</td><td>4</td><td>4</td><td>100%</td><td>3分</td>" in blocks
    chart = page.split('id="curve"')[1].split("</svg>")[0]
    assert 'data-answers="11"' in chart and "<polyline" in chart
    assert "2026年度（今年度）" in page  # the comparison: this drill only, this 年度
    listing = client.get("/admin/drills/").get_data(as_text=True)
    assert f'/admin/drills/{d.id}"' in listing and "92%" in listing and "12分" in listing


def test_this_year_against_last_year(app, line, demo, db, fake, k, clock):
    # last 年度 (February 2026): a drill where only 佐藤 answered, after 10 minutes
    clock.move_to(dt.datetime(2026, 2, 10, 10, 0, tzinfo=T0.tzinfo))
    start_drill(line)
    drain(db, k.line)
    card = check_of(fake, SATO)
    clock.shift(dt.timedelta(minutes=10))
    line.tap(SATO, [card], "無事")
    line.tap(BOSAI, line.text(BOSAI, texts.CMD_DRILL_END), texts.DISASTER_END_YES)
    clock.move_to(T0)
    d = run_script(line, db, fake, k, clock)
    client = app.test_client()
    sign_in(client, line, CHAIR)
    page = client.get(f"/admin/drills/{d.id}").get_data(as_text=True)
    compare = page.split('id="drill-compare"')[1].split("</table>")[0]
    this, last = compare.split("<tbody>")[1].split("</tr>")[:2]
    assert "2026年度（今年度）" in this and "<td>92%</td><td>12分</td><td>55分</td>" in this
    assert "2025年度" in last and "<td>8%</td><td>届きませんでした</td>" in last


def test_a_real_disaster_is_not_on_the_drills_page(app, line, demo, db, fake, k, clock):
    start(line)
    d = the_disaster(db)
    client = app.test_client()
    sign_in(client, line, CHAIR)
    assert client.get(f"/admin/drills/{d.id}").status_code == 404
    assert texts.DRILL_PAGE_NONE in client.get("/admin/drills/").get_data(as_text=True)


def test_reask_of_a_drill_is_marked(line, demo, db, fake, k, clock):
    start_drill(line)
    drain(db, k.line)
    before = len(fake.sends())
    clock.shift(dt.timedelta(minutes=k.settings.safety_reask_minutes + 1))
    assert reask(k) > 0
    drain(db, k.line)
    again = [m for q in pushes(fake, before) for m in q.body["messages"]]
    assert again and all(m["altText"].startswith("【訓練】【安否確認・再送】") for m in again)


def test_a_jma_telegram_during_a_drill_starts_the_real_disaster_mode(line, demo, db, fake, k, clock):
    from handlers.jma import trigger
    from jma_kit import QUAKE, demo_rule, sample
    from models import utcnow

    demo_rule(db, mode="auto")
    start_drill(line)
    with db.session() as s:
        assert trigger.process(s, sample(QUAKE), "urn:drill", utcnow()).starts == 1
    with db.session() as s:
        rows = s.scalars(select(Disaster).order_by(Disaster.id)).all()
        assert [(r.drill, r.ended_at is not None) for r in rows] == [(True, True), (False, False)]
    drain(db, k.line)
    real = check_of(fake, SATO)
    assert not real["altText"].startswith(texts.DRILL_MARK)
    ended = [m for q in pushes(fake) for m in q.body["messages"] if texts.DRILL_ENDED_FOR_DISASTER in all_text([m])]
    assert ended  # the officers hear why the drill stopped


def test_the_live_page_of_a_drill_says_so_and_links_its_report(app, line, demo, db, fake, k, clock):
    start_drill(line)
    d = the_disaster(db)
    client = app.test_client()
    sign_in(client, line, CHAIR)
    page = client.get("/admin/safety/").get_data(as_text=True)
    assert "<h1>" + texts.DRILL_MARK in page and f'href="/admin/drills/{d.id}"' in page
    listing = client.get("/admin/drills/").get_data(as_text=True)
    assert texts.DRILL_PAGE_RUNNING in listing


def test_a_planned_drill_is_on_the_drills_page(app, line, demo, db, fake, k, clock):
    start_drill(line, when="2026-11-23T09:00")
    client = app.test_client()
    sign_in(client, line, CHAIR)
    plans = client.get("/admin/drills/").get_data(as_text=True).split('id="drill-plans"')[1].split("</section>")[0]
    assert "11月23日 9:00" in plans


def test_the_home_page_says_a_drill_is_a_drill(app, line, demo, db, fake, k, clock):
    start_drill(line)
    client = app.test_client()
    sign_in(client, line, CHAIR)
    home = client.get("/admin/").get_data(as_text=True)
    assert texts.ADMIN_DISASTER_NOW.format(kind=texts.DRILL_MARK + "地震") in home
