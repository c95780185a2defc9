"""Issue 10: every download (CSV, GeoJSON) is named in one style — kairan-<what>-<YYYYMMDD>.<ext> in
ASCII, and the same in Japanese as filename* (RFC 6266: UTF-8, percent-encoded) — dated on the day
it is downloaded in Japan."""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
import time_machine
from sqlalchemy import select

from bot.outbox import drain
from bot.web.csv_safe import download_headers
from handlers.messages import texts
from models import Event

from admin_kit import sign_in
from citystaff_kit import make_city, staff_link
from citystaff_kit import sign_in as staff_sign_in
from safety_kit import BOSAI, start
from served import CHAIR

# 23:40 on 22 Nov in Japan is 14:40 UTC: the name carries Japan's date
T0 = dt.datetime(2026, 11, 22, 23, 40, tzinfo=dt.timezone(dt.timedelta(hours=9)))
DAY = "20261122"
ASCII = re.compile(r'attachment; filename="(kairan-[a-z]+(?:-\d+)?-\d{8}\.(?:csv|geojson))"; filename\*=UTF-8\'\'(\S+)')


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def names(resp) -> tuple[str, str]:
    """(the ASCII name, the Japanese name) of a download."""
    assert resp.status_code == 200, resp.status_code
    found = ASCII.fullmatch(resp.headers["Content-Disposition"])
    assert found, resp.headers["Content-Disposition"]
    return found.group(1), unquote(found.group(2))


def test_every_officers_download_has_one_style(line, demo, db, fake, k, clock):
    preview = line.text(CHAIR, "出欠 新年会/懇親会\n日時 1/10 18:00\n場所 会館\n締切 1/5\n対象 全体\n回答 世帯")
    line.tap(CHAIR, preview, texts.SEND)
    drain(db, k.line)
    start(line, BOSAI)
    drain(db, k.line)
    client = line.client
    sign_in(client, line, CHAIR)
    with db.session() as s:
        event_id = s.scalar(select(Event.id).where(Event.name == "新年会/懇親会"))
    seen = {}
    for what, url in (("audit", "/admin/audit.csv"), ("roster", "/admin/roster.csv"),
                      ("reports", "/admin/reports.csv"), ("reports", "/admin/reports.geojson"),
                      ("event", f"/admin/events/{event_id}.csv"), ("safety", "/admin/safety/export.csv")):
        ascii_name, local = names(client.get(url))
        seen[url] = (ascii_name, local)
        assert ascii_name.startswith(f"kairan-{what}-") and ascii_name.split(".")[0].endswith(DAY), ascii_name
        assert local.startswith(f"kairan-{texts.DOWNLOAD_NAMES[what]}-") and local.split(".")[0].endswith(DAY), local
    assert seen[f"/admin/events/{event_id}.csv"] == (f"kairan-event-{event_id}-{DAY}.csv",
                                                     f"kairan-出欠-新年会_懇親会-{DAY}.csv")  # no / in a file name
    assert seen["/admin/safety/export.csv"][1] == f"kairan-安否状況-地震-{DAY}.csv"
    assert seen["/admin/reports.geojson"][0] == f"kairan-reports-{DAY}.geojson"


def test_the_city_registry_download_too(app, chat, db, clock):
    city = make_city(db)
    client = app.test_client()
    assert staff_sign_in(client, staff_link(chat, city)).status_code == 303
    ascii_name, local = names(client.get("/city/registry.csv"))
    assert ascii_name == f"kairan-registry-{DAY}.csv"
    assert local.startswith(f"kairan-{texts.DOWNLOAD_NAMES['registry']}-") and local.endswith(f"-{DAY}.csv")


def test_names_are_cleaned_and_kept_short(clock):
    header = download_headers("event", dt.date(2027, 1, 5), ident=7, detail='秋祭り: "子ども"\n会/' + "長" * 60)
    ascii_name, local = ASCII.fullmatch(header["Content-Disposition"]).groups()
    assert ascii_name == "kairan-event-7-20270105.csv"
    local = unquote(local)
    assert not re.search(r'[\\/:*?"<>|\s]', local) and local.endswith("-20270105.csv")
    assert len(local) <= len("kairan-出欠--20270105.csv") + 40
