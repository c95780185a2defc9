"""Rules of the automatic start: matching per municipality code (and 細分区域 / 津波予報区), the
city tier's rule, ask-first with [開始する][開始しない] and the start after N minutes (time
travel), 「自動開始」 in the chat, and `kairan jma rule | inject`."""
import datetime as dt

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.outbox import drain
from handlers.jma import trigger
from handlers.jma.telegrams import parse
from handlers.messages import texts
from models import Association, AuditLog, Disaster, JmaRule, JmaStart, OutboxMessage, utcnow

from chat import all_text
from jma_kit import FLASH, QUAKE, SAMPLES, SPECIAL, TSUNAMI, demo_rule, sample
from safety_kit import BOSAI, CHAIR, SATO, clock  # noqa: F401


def _rule(**kw):
    values = dict(city_codes="", quake_areas="", tsunami_areas="", min_intensity="5-", quake=True, tsunami=True,
                  special=True, mode="auto", ask_minutes=10)
    values.update(kw)
    return JmaRule(**values)


@pytest.mark.parametrize("name,rule,hit", [
    (QUAKE, _rule(city_codes="1410400"), "5+"),  # 横浜中区 震度5強
    (QUAKE, _rule(city_codes="1410300"), None),  # 横浜西区 震度4: below 5弱
    (QUAKE, _rule(city_codes="1410400", min_intensity="6-"), None),  # threshold 6弱
    (QUAKE, _rule(city_codes="1413100"), "?"),  # 震度５弱以上未入電: possibly affected
    (QUAKE, _rule(city_codes="1410300,1413100,1410400"), "5+"),  # the strongest known
    (QUAKE, _rule(city_codes="1410400", quake=False), None),
    (FLASH, _rule(quake_areas="220"), "6+"),  # 震度速報: 宮城県北部 (細分区域)
    (FLASH, _rule(quake_areas="252"), None),  # 福島県会津 震度3
    (FLASH, _rule(city_codes="220"), None),  # a 細分区域 is not a municipality code
    (TSUNAMI, _rule(tsunami_areas="350"), "津波警報"),
    (TSUNAMI, _rule(tsunami_areas="301"), None),  # 津波注意報 only
    (TSUNAMI, _rule(tsunami_areas="350", tsunami=False), None),
    (SPECIAL, _rule(city_codes="1410000"), "大雨特別警報"),
    (SPECIAL, _rule(city_codes="1420600"), None),  # 大雨警報: not a 特別警報
])
def test_rule_matching_per_code(name, rule, hit):
    assert trigger.match(parse(sample(name)), rule) == hit


def test_prepared_messages():
    t = parse(sample(QUAKE))
    assert trigger.prepared_message(t, "5+") == "地震（震度5強）が発生しました。安否をお知らせください。"
    assert trigger.prepared_message(parse(sample(TSUNAMI)), "津波警報") == "津波警報が発表されました。安否をお知らせください。"


def test_the_municipality_rule_covers_its_associations_without_their_own(k, db, demo, clock):
    from bot.dev.demo import seed_city
    from bot.secrets import box_for
    with db.session() as s:
        assert seed_city(s, box_for(k.settings))  # みなと市: 東町自治会 and 西町自治会
    with db.session() as s:
        higashi = s.scalar(select(Association).where(Association.slug == "higashi"))
        others = s.scalars(select(Association.id).where(Association.municipality_id == higashi.municipality_id)).all()
        s.add(_rule(municipality_id=higashi.municipality_id, city_codes="1410400", mode="ask"))
        hid = higashi.id
    assert len(others) >= 2
    with db.session() as s:
        out = trigger.process(s, sample(QUAKE), "urn:m", utcnow())
    assert out.starts == len(others)
    with db.session() as s:
        assert sorted(s.scalars(select(JmaStart.association_id)).all()) == sorted(others)
        # an association's own rule wins: a rule with another code starts nothing there next time
        s.add(_rule(association_id=hid, city_codes="9999999"))
    quake2 = sample(QUAKE).replace(b"20261122234100", b"20261123010000")
    with db.session() as s:
        assert trigger.process(s, quake2, "urn:m2", utcnow()).starts == len(others) - 1


def _ask(db):
    aid = demo_rule(db, mode="ask", ask_minutes=10)
    with db.session() as s:
        assert trigger.process(s, sample(QUAKE), "urn:ask", utcnow()).starts == 1
    return aid


def test_ask_first_asks_the_chair_and_bosai_then_starts_by_itself(k, db, demo, fake, clock):
    _ask(db)
    assert _n(db, Disaster) == 0
    with db.session() as s:
        assert s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.like("jma-ask:%"))).all()
    drain(db, k.line)
    asked = [r for r in fake.sends() if texts.JMA_ASK_TITLE in all_text(r.body.get("messages", []))]
    to = {u for r in asked for u in ([r.body["to"]] if isinstance(r.body["to"], str) else r.body["to"])}
    assert to == {CHAIR, BOSAI}
    assert "震度5強" in all_text(asked[0].body["messages"]) and "10分" in all_text(asked[0].body["messages"])
    clock.shift(dt.timedelta(minutes=9, seconds=59))
    with db.session() as s:
        assert trigger.due(s, utcnow()) == 0
    clock.shift(dt.timedelta(seconds=1))
    with db.session() as s:
        assert trigger.due(s, utcnow()) == 1
    with db.session() as s:
        (d,) = s.scalars(select(Disaster)).all()
        assert d.started_by_id is None
        assert s.scalar(select(OutboxMessage.id).where(OutboxMessage.purpose == f"safety:{d.id}:0"))
        (a,) = s.scalars(select(AuditLog).where(AuditLog.action == "jma.start")).all()
        assert a.detail["auto"] is True
        assert [x.action for x in s.scalars(select(AuditLog).where(AuditLog.action.like("jma.%"))
                                            .order_by(AuditLog.id))] == ["jma.match", "jma.ask", "jma.start"]
    with db.session() as s:
        assert trigger.due(s, utcnow()) == 0  # once


def _n(db, model):
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_start_button_starts_at_once_and_the_other_is_then_handled(line, k, db, demo, fake, clock):
    _ask(db)
    drain(db, k.line)
    card = [d.message for d in fake.delivered if d.user_id == BOSAI and texts.JMA_ASK_TITLE in all_text([d.message])][-1]
    assert all_text(line.tap(SATO, [card], texts.JMA_START_YES)) == texts.OFFICERS_ONLY
    assert _n(db, Disaster) == 0
    assert all_text(line.tap(BOSAI, [card], texts.JMA_START_YES)) == texts.JMA_STARTED_BY
    with db.session() as s:
        (d,) = s.scalars(select(Disaster)).all()
        assert d.started_by_id is not None and d.message.startswith("地震（震度5強）")
    chair_card = [d.message for d in fake.delivered if d.user_id == CHAIR and texts.JMA_ASK_TITLE in all_text([d.message])][-1]
    assert all_text(line.tap(CHAIR, [chair_card], texts.JMA_START_NO)) == texts.ALREADY_HANDLED
    drain(db, k.line)


def test_do_not_start_is_kept_and_nothing_starts_later(line, k, db, demo, fake, clock):
    _ask(db)
    drain(db, k.line)
    card = [d.message for d in fake.delivered if d.user_id == CHAIR and texts.JMA_ASK_TITLE in all_text([d.message])][-1]
    assert all_text(line.tap(CHAIR, [card], texts.JMA_START_NO)) == texts.JMA_DECLINED
    clock.shift(dt.timedelta(hours=1))
    with db.session() as s:
        assert trigger.due(s, utcnow()) == 0
        assert s.scalar(select(JmaStart.state)) == "declined"
        assert s.scalar(select(AuditLog.action).where(AuditLog.action == "jma.decline"))
    assert _n(db, Disaster) == 0


def test_jido_kaishi_shows_the_rule_and_changes_it(line, db, demo, clock):
    assert all_text(line.text(CHAIR, texts.CMD_JMA_RULE)) == texts.JMA_RULE_NONE
    demo_rule(db, mode="ask")
    shown = line.text(BOSAI, texts.CMD_JMA_RULE)
    assert "1410400" in all_text(shown) and "震度5弱以上" in all_text(shown) and "確認してから" in all_text(shown)
    changed = line.tap(BOSAI, shown, texts.JMA_SET_AUTO)
    assert texts.JMA_RULE_SAVED in all_text(changed) and "すぐに開始する" in all_text(changed)
    changed = line.tap(BOSAI, changed, texts.JMA_SET_INT.format(intensity="5強"))
    assert "震度5強以上" in all_text(changed)
    with db.session() as s:
        r = s.scalar(select(JmaRule))
        assert (r.mode, r.min_intensity) == ("auto", "5+")
        audits = s.scalars(select(AuditLog).where(AuditLog.action == "jma.rule").order_by(AuditLog.id)).all()
        assert [a.detail["after"] for a in audits] == [{"mode": "auto"}, {"min_intensity": "5+"}]
    assert all_text(line.text(SATO, texts.CMD_JMA_RULE)) == texts.OFFICERS_ONLY


def test_cli_rule_and_inject(db_url, db, demo, clock):
    runner = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None,
                            "LINE_CHANNEL_ACCESS_TOKEN": None, "KAIRAN_ASSOCIATION": None})
    r = runner.invoke(main, ["jma", "rule", "--association", "higashi", "--codes", "1410400", "--mode", "auto"])
    assert r.exit_code == 0, r.output
    assert "codes: 1410400" in r.output and "mode: auto" in r.output
    r = runner.invoke(main, ["jma", "inject", str(SAMPLES / QUAKE)])
    assert r.exit_code == 0, r.output
    assert "matched (1)" in r.output
    r = runner.invoke(main, ["jma", "inject", str(SAMPLES / QUAKE)])
    assert "duplicate" in r.output
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Disaster)) == 1
        assert s.scalar(select(AuditLog.detail).where(AuditLog.action == "jma.rule"))["after"]["mode"] == "auto"
