"""Officers' and residents' web pages, hardened (issues 8 and 18): a navigation bar on every admin
page and the live safety page first in disaster mode; the live safety page in a fixed number of
queries, paged, refreshed by conditional GET; sessions that end at sign-out and on a role change;
no start outside simulator mode without a secret key; security headers on circular pages,
attachments and the privacy notice; the simulator only under loopback host names; 404 (not 500)
for malformed URLs; the roster export neutralises formulas."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
import time_machine
from click.testing import CliRunner
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import event, select

from bot.app import create_app
from bot.cli import main
from bot.config import ConfigError, Settings, load_settings
from bot.dev.demo import demo_user_id
from bot.dev.simulator import loopback_host
from bot.outbox import drain
from bot.web import safety_page
from bot.web.signin import issue_login_link
from handlers.messages import texts
from models import (
    Association,
    Attachment,
    Block,
    Circular,
    CircularState,
    Delivery,
    Disaster,
    Household,
    Member,
    MemberStatus,
    Role,
    SafetyLocation,
    utcnow,
)
from models.delivery import write_receipts

from admin_kit import logout, path, send_circular, set_role, sign_in
from chat import button
from conftest import SECRET, TOKEN

CHAIR = demo_user_id("山田 太郎")
BOSAI = demo_user_id("小林 修")  # 防災担当
LEADER = demo_user_id("田中 実")  # 班長 of 2班
SATO = demo_user_id("佐藤 花子")
ITO = demo_user_id("伊藤 美咲")
T0 = dt.datetime(2026, 11, 22, 23, 40, tzinfo=dt.timezone(dt.timedelta(hours=9)))
EVENT = "出欠 秋の清掃活動\n日時 11/29 9:00\n場所 東町公園\n締切 11/27\n人数 あり"
NAV_LINKS = ('href="/admin/"', 'href="/admin/archive"', 'href="/admin/events"', 'href="/admin/safety/"')


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


@pytest.fixture
def client(app):
    return app.test_client()


def start_disaster(line, who=BOSAI):
    q = line.tap(who, line.text(who, "災害モード"), "地震")
    confirm = line.text(who, "大きな揺れがありました。")
    assert q and confirm
    return line.tap(who, confirm, texts.DISASTER_START)


def send_event(line, who=CHAIR) -> int:
    preview = line.text(who, EVENT)
    data = button(preview, texts.SEND)["data"]
    line.postback(who, data)
    return int(re.search(r"e=(\d+)", data).group(1))


def nav_of(html: str) -> str:
    m = re.search(r'<nav class="nav"[^>]*>(.*?)</nav>', html, re.S)
    assert m, "no navigation bar"
    return m.group(1)


# --- A. officers reach every page ------------------------------------------------------------
def test_every_admin_page_has_the_navigation_bar(client, line, demo, fake, clock):
    cid = send_circular(line)
    eid = send_event(line)
    sign_in(client, line, CHAIR)
    pages = {"/admin/": "/admin/", "/admin/archive": "/admin/archive", f"/admin/circulars/{cid}": "/admin/archive",
             "/admin/events": "/admin/events", f"/admin/events/{eid}": "/admin/events",
             "/admin/safety/": "/admin/safety/",
             "/admin/circulars/4242": "/admin/archive"}  # a 404 inside the admin pages keeps the bar too
    for url, current in pages.items():
        resp = client.get(url)
        html = resp.get_data(as_text=True)
        assert resp.status_code == (404 if url.endswith("4242") else 200), url
        nav = nav_of(html)
        for link in NAV_LINKS:
            assert link in nav, (url, link)
        assert 'action="/admin/logout"' in html and texts.NAV_LOGOUT in html
        marked = re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', nav)
        assert marked == [current], (url, marked)
    assert 'id="disaster"' not in client.get("/admin/").get_data(as_text=True)  # no disaster: no banner


def test_block_leader_gets_the_bar_with_the_safety_page(client, line, demo, clock):
    sign_in(client, line, LEADER)
    nav = nav_of(client.get("/admin/events").get_data(as_text=True))
    assert all(link in nav for link in NAV_LINKS)


def test_in_disaster_mode_home_shows_the_live_page_first(client, line, demo, db, fake, k, clock):
    send_circular(line)
    start_disaster(line)
    drain(db, k.line)
    sign_in(client, line, CHAIR)
    html = client.get("/admin/").get_data(as_text=True)
    banner = re.search(r'<section class="disaster" id="disaster">(.*?)</section>', html, re.S)
    assert banner, html
    assert html.index('id="disaster"') < html.index("<h1>")  # above everything else of the page
    assert texts.ADMIN_DISASTER_NOW.format(kind="地震") in banner.group(1)
    big = re.search(r'<a class="bigbutton" href="([^"]+)">([^<]+)</a>', banner.group(1))
    assert big and big.groups() == ("/admin/safety/", texts.ADMIN_DISASTER_OPEN)
    assert 'class="alert"' in nav_of(html)  # the bar's 安否状況 stands out on every page meanwhile
    live = client.get(big.group(1))
    assert live.status_code == 200 and "安否状況：地震" in live.get_data(as_text=True)
    # after the end: no banner (the page itself stays reachable from the bar)
    line.tap(CHAIR, line.text(CHAIR, "災害モード終了"), texts.DISASTER_END_YES)
    html = client.get("/admin/").get_data(as_text=True)
    assert 'id="disaster"' not in html and 'href="/admin/safety/"' in nav_of(html)


# --- B. the live safety page: few queries, pages, conditional refresh -----------------------------
def seed_association(db, n: int, located_every: int = 3, slug: str = "big") -> tuple[str, list[str]]:
    """n households (one LINE member each) in 3 班, an active disaster with a receipt per household;
    every 5th answers, household 7 needs rescue, every `located_every`-th shared a location.
    Returns the 防災担当's LINE id and the household names in id order."""
    now = utcnow()
    with db.session() as s:
        assoc = Association(slug=slug, name=f"自治会 {slug}")
        s.add(assoc)
        s.flush()
        blocks = [Block(association_id=assoc.id, name=f"{i + 1}班", position=i) for i in range(3)]
        s.add_all(blocks)
        s.flush()
        households, members = [], []
        for i in range(n):
            h = Household(association_id=assoc.id, block_id=blocks[i % 3].id, name=f"世帯 {i:03d}", on_line=i % 4 != 0,
                          needs_support=i % 6 == 0, join_code=f"{i:04d}-{n:04d}")
            households.append(h)
        s.add_all(households)
        s.flush()
        for i, h in enumerate(households):
            members.append(Member(association_id=assoc.id, line_user_id=f"U{n:04x}{i:028x}", household_id=h.id,
                                  block_id=h.block_id, name=f"会員 {i:03d}", role=Role.member,
                                  status=MemberStatus.active, consent_at=now))
        members[1].role = Role.disaster_officer
        s.add_all(members)
        s.flush()
        d = Disaster(association_id=assoc.id, kind="quake", message="揺れ", started_by_id=members[1].id)
        s.add(d)
        s.flush()
        write_receipts(s, assoc.id, "safety", d.id, [(h.id, 0, True) for h in households], now)
        receipts = {r.household_id: r for r in s.scalars(select(Delivery).where(Delivery.disaster_id == d.id))}
        for i, h in enumerate(households):
            r = receipts[h.id]
            if i == 7:
                r.record_answer("rescue", members[i], data={"comment": "閉じ込められています"})
            elif i % 5 == 0:
                r.record_answer("safe", members[i], data={"comment": f"元気です {i}", "people": 2})
            if i == 0:  # an earlier location of the same household: the page shows the latest only
                s.add(SafetyLocation(association_id=assoc.id, disaster_id=d.id, delivery_id=r.id,
                                     member_id=members[i].id, latitude=34.0, longitude=138.0, address="古い場所"))
                s.flush()
            if i % located_every == 0:
                s.add(SafetyLocation(association_id=assoc.id, disaster_id=d.id, delivery_id=r.id,
                                     member_id=members[i].id, latitude=35.0 + i / 1000, longitude=139.0,
                                     address=f"東町{i}"))
        return members[1].line_user_id, [h.name for h in households]


def officer_client(app, k, user: str):
    with k.db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == user))
        link = issue_login_link(s, k.settings, m)
    c = app.test_client()
    assert c.post(path(link)).status_code == 303
    return c


class Statements:
    """Counts the SQL statements an engine runs while the `with` block is open."""

    def __init__(self, engine):
        self.engine, self.n = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_):
        event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *_):
        self.n += 1

    def during(self, fn):
        self.n = 0
        out = fn()
        return out, self.n


def test_live_page_and_csv_take_the_same_few_queries_at_30_and_300_households(app, k, db):
    measured = {}
    for n in (30, 300):
        officer, names = seed_association(db, n, slug=f"a{n}")
        c = officer_client(app, k, officer)
        with Statements(k.db.engine) as counter:
            page, page_queries = counter.during(lambda: c.get("/admin/safety/"))
            export, csv_queries = counter.during(lambda: c.get("/admin/safety/export.csv"))
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and export.status_code == 200
        assert html.count("<tr class=") == min(n, safety_page.PAGE_SIZE)
        assert re.search(r"<tr class=\"rescue\">.*?世帯 007様", html, re.S)  # rescue first
        rows = list(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig"))))
        assert len(rows) == n + 1 and rows[1][1] == "世帯 007" and rows[1][3] == "救助が必要"
        assert sorted(r[1] for r in rows[1:]) == sorted(names)  # this association's households only
        located = [r for r in rows[1:] if r[9]]
        assert len(located) == len(range(0, n, 3))
        assert all(r[11] == f"東町{int(r[1].split()[1])}" for r in located)  # each with its own latest location
        measured[n] = (page_queries, csv_queries)
    assert measured[30] == measured[300], measured
    assert measured[300][0] <= 10 and measured[300][1] <= 7, measured  # +1: who goes (訪問の割り当て, issue 14)


def test_big_associations_are_paged_and_the_map_shows_every_location(app, k, db, monkeypatch):
    monkeypatch.setattr(safety_page, "PAGE_SIZE", 10)
    officer, names = seed_association(db, 30, located_every=3)
    c = officer_client(app, k, officer)
    with Statements(k.db.engine) as counter:
        first, first_queries = counter.during(lambda: c.get("/admin/safety/"))
        third, third_queries = counter.during(lambda: c.get("/admin/safety/?p=3"))
    html = first.get_data(as_text=True)
    households = re.findall(r"<td>(世帯 \d{3})様", html)
    assert len(households) == 10 and households[0] == "世帯 007"  # 救助が必要 first
    assert texts.SAFETY_PAGE_RANGE.format(start=1, end=10, total=30) in html
    assert 'href="/admin/safety/?p=2"' in html and texts.SAFETY_PAGE_PREV.format(n=10) not in html
    markers = json.loads(re.search(r"data-markers='([^']*)'", html).group(1).replace("&#34;", '"')
                         .replace("&#39;", "'").replace("&amp;", "&"))
    assert sorted(m["household"] for m in markers) == [f"世帯 {i:03d}" for i in range(0, 30, 3)]
    last = third.get_data(as_text=True)
    assert len(re.findall(r"<td>(世帯 \d{3})様", last)) == 10
    assert texts.SAFETY_PAGE_RANGE.format(start=21, end=30, total=30) in last
    assert 'href="/admin/safety/?p=2"' in last and texts.SAFETY_PAGE_NEXT.format(n=10) not in last
    seen = set()
    for p in (1, 2, 3):
        seen |= set(re.findall(r"<td>(世帯 \d{3})様", c.get(f"/admin/safety/?p={p}").get_data(as_text=True)))
    assert seen == set(names)  # every household on exactly one of the pages
    assert first_queries == third_queries <= 11  # +1: who goes (訪問の割り当て, issue 14)
    for bad in ("4", "0", "abc", "99999999999999999999", "-1"):
        assert c.get(f"/admin/safety/?p={bad}").status_code == 404, bad


def test_refresh_is_a_conditional_get(line, demo, db, fake, k, clock):
    start_disaster(line)
    drain(db, k.line)
    c = line.client.application.test_client()
    sign_in(c, line, BOSAI)
    first = c.get("/admin/safety/")
    etag = first.headers["ETag"]
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and etag.startswith('"') and f'data-etag="{etag.strip(chr(34))}"' in html
    assert "safety_refresh.js" in html and f'data-refresh="{safety_page.REFRESH_SECONDS}"' in html
    assert re.search(r'<meta http-equiv="refresh"', html.replace("<noscript><meta", "")) is None  # JS refresh
    same = c.get("/admin/safety/", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.get_data() == b"" and same.headers["ETag"] == etag
    assert same.headers["Cache-Control"] == "no-store" and "frame-ancestors 'none'" in same.headers[
        "Content-Security-Policy"]
    # a resident answers: the next refresh gets the new page
    check = [d.message for d in fake.delivered if d.user_id == ITO and "安否" in d.message.get("altText", "")][-1]
    line.tap(ITO, [check], "救助が必要")
    changed = c.get("/admin/safety/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert "伊藤 美咲様" in changed.get_data(as_text=True).split("<tbody>")[1].split("</tr>")[0]
    # the ETag is the viewer's: an officer without locations does not get the 防災担当's page as "unchanged"
    set_role(db, SATO, Role.officer)
    other = line.client.application.test_client()
    sign_in(other, line, SATO)
    assert other.get("/admin/safety/", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 200
    # the script sends the ETag it got and lets a 304 change nothing
    js = c.get("/static/safety_refresh.js").get_data(as_text=True)
    assert '"If-None-Match": etag' in js and "resp.status === 304" in js
    assert "connect-src 'self'" in first.headers["Content-Security-Policy"]


# --- C. sign-out and role changes end sessions ---------------------------------------------------
def test_cookie_copied_before_logout_is_refused_after_logout(app, line, demo):
    mine = app.test_client()
    sign_in(mine, line, CHAIR)
    cookie = mine.get_cookie("session")
    copy = app.test_client()
    copy.set_cookie("session", cookie.value, domain=cookie.domain or "localhost")
    assert copy.get("/admin/").status_code == 200  # the copy works while the session lives
    assert logout(mine).status_code == 200
    refused = copy.get("/admin/")
    assert refused.status_code == 403 and texts.ADMIN_SIGNED_OUT in refused.get_data(as_text=True)
    again = app.test_client()  # a new sign-in works
    sign_in(again, line, CHAIR)
    assert again.get("/admin/").status_code == 200
    assert copy.get("/admin/").status_code == 403  # and does not revive the old cookie


def test_demoted_then_promoted_again_needs_a_new_sign_in(client, line, demo, db):
    sign_in(client, line, LEADER)
    cookie = client.get_cookie("session").value
    set_role(db, LEADER, Role.member)
    set_role(db, LEADER, Role.block_leader)
    copy = line.client.application.test_client()
    copy.set_cookie("session", cookie)
    assert copy.get("/admin/").status_code == 403
    assert client.get("/admin/").status_code == 403
    sign_in(client, line, LEADER)
    assert client.get("/admin/").status_code == 200


def test_role_change_by_the_cli_ends_the_session(client, line, demo, db, db_url):
    sign_in(client, line, LEADER)  # (the chair is the last one: the CLI keeps their role)
    runner = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
                            "KAIRAN_ASSOCIATION": None})
    assert runner.invoke(main, ["roles", "grant", LEADER, "officer"]).exit_code == 0
    assert client.get("/admin/").status_code == 403


# --- D. no start without a secret key of its own ---------------------------------------------------
PRODUCTION = {"LINE_CHANNEL_SECRET": "channel-secret-of-the-bot", "LINE_CHANNEL_ACCESS_TOKEN": "token"}


def test_production_refuses_to_start_without_its_own_secret_key():
    with pytest.raises(ConfigError) as e:
        load_settings(dict(PRODUCTION))
    assert "KAIRAN_SECRET_KEY" in str(e.value) and "secrets.token_urlsafe(32)" in str(e.value)
    for weak in ("short", PRODUCTION["LINE_CHANNEL_SECRET"]):
        with pytest.raises(ConfigError):
            load_settings({**PRODUCTION, "KAIRAN_SECRET_KEY": weak})
    good = "k" * 43
    assert load_settings({**PRODUCTION, "KAIRAN_SECRET_KEY": good}).secret_key == good
    with pytest.raises(ConfigError):
        Settings(channel_secret="s", channel_access_token="t", simulator=False)


def test_simulator_mode_starts_with_a_key_made_at_start():
    s = load_settings({})
    assert s.simulator and len(s.secret_key) >= 32
    assert "kairan-simulator-channel-secret" not in s.secret_key and s.secret_key != "kairan-dev-secret-key"


def test_cli_says_how_to_make_a_key(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "KAIRAN_SECRET_KEY": None}
    for args in (["scheduler"], ["serve", "--port", "8199"], ["roster", "export"]):
        result = CliRunner(env=env).invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert "KAIRAN_SECRET_KEY" in result.output and "secrets.token_urlsafe(32)" in result.output


def test_session_minted_with_the_channel_secret_is_refused(client, line, demo, db, app):
    """The attack: sign a session cookie for the chair with the key the app used to derive."""
    with db.session() as s:
        chair = s.scalar(select(Member).where(Member.line_user_id == CHAIR))
        claims = {"admin_member": chair.id, "admin_login_at": int(utcnow().timestamp()),
                  "admin_epoch": chair.session_epoch}

    class Old:
        secret_key = f"kairan:{SECRET}"
        config = app.config
    forged = SecureCookieSessionInterface().get_signing_serializer(Old()).dumps(claims)
    client.set_cookie("session", forged)
    assert client.get("/admin/safety/export.csv").status_code == 403
    assert client.get("/admin/").status_code == 403


# --- E. the roster export ------------------------------------------------------------------
def test_roster_export_neutralises_formulas_and_reimports_unchanged(db_url, tmp_path):
    runner = CliRunner(env={"DATABASE_URL": db_url, "LINE_CHANNEL_SECRET": None, "LINE_CHANNEL_ACCESS_TOKEN": None,
                            "KAIRAN_ASSOCIATION": None})
    evil = "=cmd|' /C calc'!A0"
    src = tmp_path / "roster.csv"
    src.write_text(f"班,氏名,LINE,要支援\n1班,{evil.replace(chr(34), '')},無,無\n@SUM(1),+81 山田,有,無\n-2班,普通 花子,有,無\n",
                   encoding="utf-8")
    assert runner.invoke(main, ["roster", "import", "--association", "東町", str(src)]).exit_code == 0
    out = tmp_path / "out.csv"
    assert runner.invoke(main, ["roster", "export", "-o", str(out)]).exit_code == 0
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    cells = [c for r in rows[1:] for c in r[:2]]
    assert "'" + evil in cells and "'@SUM(1)" in cells and "'+81 山田" in cells and "'-2班" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    again = runner.invoke(main, ["roster", "import", str(out)])
    assert again.exit_code == 0 and "名簿に変更はありませんでした" in again.output, again.output


# --- F. security headers on every page a person opens ----------------------------------------------
def assert_secure(resp, what: str) -> None:
    h = resp.headers
    assert h.get("X-Content-Type-Options") == "nosniff", what
    assert h.get("Referrer-Policy") == "no-referrer", what
    assert h.get("X-Frame-Options") == "DENY", what
    csp = h.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "script-src" not in csp, (what, csp)


def test_circular_page_attachment_privacy_and_admin_pages_send_security_headers(client, line, demo, db):
    with db.session() as s:
        assoc = s.scalars(select(Association)).first()
        h = s.scalars(select(Household).where(Household.association_id == assoc.id)).first()
        c = Circular(association_id=assoc.id, title="お知らせ", body="本文", state=CircularState.sent, sent_at=utcnow())
        s.add(c)
        s.flush()
        a = Attachment(association_id=assoc.id, circular_id=c.id, kind="image", filename="地図.png",
                       content_type="image/png", data=b"\x89PNG..")
        s.add(a)
        s.flush()
        write_receipts(s, assoc.id, "circular", c.id, [(h.id, 0, True)], utcnow(), pages=True)
        token = s.scalar(select(Delivery.page_token).where(Delivery.circular_id == c.id))
        att = a.id
    for url in (f"/c/{token}", f"/c/{token}/a/{att}", "/privacy", "/c/not-a-real-token-at-all"):
        assert_secure(client.get(url), url)
    assert client.get(f"/c/{token}/a/{att}").get_data() == b"\x89PNG.."
    sign_in(client, line, CHAIR)
    for url in ("/admin/", "/admin/events", "/admin/circulars/4242"):
        assert_secure(client.get(url), url)
    safety = client.get("/admin/safety/").headers
    assert safety["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in safety["Content-Security-Policy"]


# --- G. the simulator answers only under loopback names -----------------------------------------
@pytest.mark.parametrize("host,ok", [
    ("localhost", True), ("localhost:8000", True), ("127.0.0.1:8000", True), ("[::1]:8000", True), ("[::1]", True),
    ("LOCALHOST:8000", True), ("evil.example", False), ("evil.example:8000", False), ("localhost.evil.example", False),
    ("127.0.0.1.nip.io:8000", False), ("::1", False), ("", False), ("localhost:80:80", False), ("[::2]:8000", False),
])
def test_loopback_host_names(host, ok):
    assert loopback_host(host) is ok


def test_simulator_refuses_rebound_host_names(db_url):
    settings = Settings(channel_secret=SECRET, channel_access_token=TOKEN, simulator=True, database_url=db_url)
    app = create_app(settings)
    try:
        c = app.test_client()
        for url in ("/simulator", "/simulator/api/users", "/_fake_line/v2/bot/info", "/admin/", "/callback"):
            resp = c.get(url, headers={"Host": "rebind.evil.example:8000"})
            assert resp.status_code == 403 and b"KAIRAN_SIMULATOR_REMOTE" in resp.data, url
        assert c.post("/simulator/api/users", json={"name": "x"}, headers={
            "Host": "rebind.evil.example", "X-Kairan-Simulator": "1"}).status_code == 403
        assert c.get("/simulator", headers={"Host": "127.0.0.1:8000"}).status_code == 200
        assert c.get("/simulator", headers={"Host": "[::1]:8000"}).status_code == 200
    finally:
        app.extensions["kairan"].db.dispose()
    named = create_app(settings.with_(base_url="http://kairan.localhost:8000"))  # the name the operator chose
    try:
        assert named.test_client().get("/simulator", headers={"Host": "kairan.localhost:8000"}).status_code == 200
        assert named.test_client().get("/simulator", headers={"Host": "evil.example:8000"}).status_code == 403
    finally:
        named.extensions["kairan"].db.dispose()
    remote = create_app(settings.with_(simulator_remote=True))
    try:
        assert remote.test_client().get("/simulator", headers={"Host": "training.lan:8000"}).status_code == 200
    finally:
        remote.extensions["kairan"].db.dispose()


# --- H. malformed URLs are 404, never 500 ---------------------------------------------------------
def test_bad_urls_are_not_found(client, line, demo, db, fake, clock):
    cid = send_circular(line)
    eid = send_event(line)
    huge = "99999999999999999999"
    for url in ("/c/%00", "/c/%00%00/a/1", f"/c/abcdefghijklmnop/a/{huge}", "/c/" + "a" * 300, "/c/%E3%81%82"):
        assert client.get(url).status_code == 404, url
    sign_in(client, line, CHAIR)
    for url in (f"/admin/events/{huge}", f"/admin/events/{huge}.csv", f"/admin/circulars/{huge}",
                "/admin/circulars/2147483648", "/admin/circulars/0", f"/admin/safety/?p={huge}", "/admin/nothing"):
        resp = client.get(url)
        assert resp.status_code == 404 and "ページが見つかりません" in resp.get_data(as_text=True), url
        assert resp.headers["X-Content-Type-Options"] == "nosniff", url
    assert client.get(f"/admin/circulars/{cid}").status_code == 200
    for query in (f"b={huge}", "b=%00", "b=-1", "b=１"):  # a bad 班 filter is ignored
        assert client.get(f"/admin/events/{eid}?{query}").status_code == 200, query
        assert client.get(f"/admin/events/{eid}.csv?{query}").status_code == 200, query
