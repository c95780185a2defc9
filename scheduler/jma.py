"""Poll JMA's PULL Atom feeds (気象庁防災情報XML) and hand each new telegram to the trigger.

JMA's high-frequency feeds (高頻度フィード: eqvol.xml 地震火山, extra.xml 随時) are updated every
minute (https://xml.kishou.go.jp/xmlpull.html): the job runs every `jma_poll_seconds` (60, never
less), asks with If-Modified-Since / If-None-Match (a 304 costs nothing), never downloads a
telegram whose entry id it has seen (JMA blocks clients that fetch the same files again and again),
caps every download (MAX_BYTES, streamed) and has a timeout on every request. A telegram is
fetched only from the feed's own scheme and host, and a redirect is not followed (both refused).
"""
from __future__ import annotations

import logging
from typing import Any, Optional
from urllib.parse import urlsplit

import requests
from defusedxml import ElementTree as SafeET
from sqlalchemy import select

from handlers.jma import trigger
from handlers.jma.telegrams import MAX_BYTES
from models import utcnow
from models.jma import JmaTelegram
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)
FEEDS = ("eqvol.xml", "extra.xml")
TIMEOUT = (5, 20)  # connect, read (seconds)
ATOM = "{http://www.w3.org/2005/Atom}"
MAX_FEED = 4 * 1024 * 1024
CODES = ("VXSE51", "VXSE53", "VTSE41", "VPWW54")


class TooLarge(Exception):
    pass


def fetch(session: requests.Session, url: str, limit: int, headers: Optional[dict] = None) -> requests.Response:
    """GET with a timeout, reading at most `limit` bytes (the body is in r._capped)."""
    r = session.get(url, headers=headers or {}, timeout=TIMEOUT, stream=True, allow_redirects=False)
    try:
        if r.status_code != 200:
            return r
        size = r.headers.get("Content-Length")
        if size and size.isdigit() and int(size) > limit:
            raise TooLarge(url)
        buf = bytearray()
        for chunk in r.iter_content(65536):
            buf += chunk
            if len(buf) > limit:
                raise TooLarge(url)
        r._capped = bytes(buf)  # type: ignore[attr-defined]
        return r
    finally:
        r.close()


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return a.scheme in ("https", "http") and (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


def entries(feed: bytes) -> list[tuple[str, str, str]]:
    """(entry id, telegram URL, code guessed from the URL) of a feed, oldest first."""
    root = SafeET.fromstring(feed, forbid_dtd=True)
    out = []
    for e in root.iter(f"{ATOM}entry"):
        eid = (e.findtext(f"{ATOM}id") or "").strip()
        link = e.find(f"{ATOM}link")
        href = link.get("href", "") if link is not None else ""
        code = next((c for c in CODES if c in href), None)
        if eid and href:
            out.append((eid, href, code))
    return list(reversed(out))


def poll(k: Runtime, http: Any = None) -> int:
    """One round over the feeds; returns how many telegrams were handled."""
    base = k.settings.jma_feed_url
    if not base:
        return 0
    http = http or k.extras.setdefault("jma_http", requests.Session())
    cache: dict[str, dict[str, str]] = k.extras.setdefault("jma_cache", {})
    handled = 0
    for name in FEEDS:
        url = f"{base}/{name}"
        headers = {}
        seen = cache.get(url, {})
        if seen.get("etag"):
            headers["If-None-Match"] = seen["etag"]
        if seen.get("modified"):
            headers["If-Modified-Since"] = seen["modified"]
        try:
            r = fetch(http, url, MAX_FEED, headers)
        except (requests.RequestException, TooLarge) as e:
            log.warning("jma: feed %s not read: %s", name, type(e).__name__)
            continue
        if r.status_code == 304:
            continue
        if r.status_code != 200:
            log.warning("jma: feed %s answered %s", name, r.status_code)
            continue
        try:
            items = entries(r._capped)  # type: ignore[attr-defined]
        except Exception as e:  # noqa: BLE001 - a broken feed is tried again at the next tick
            log.warning("jma: feed %s unreadable: %s", name, type(e).__name__)
            continue
        complete = True
        for eid, href, code in items:
            with k.db.session() as s:
                if s.scalar(select(JmaTelegram.id).where(JmaTelegram.entry_id == eid)) is not None:
                    continue
            if not same_origin(href, base):
                # a feed's links point to JMA's own host: anything else is never fetched (no
                # request to an internal address, no forged telegram from elsewhere)
                with k.db.session() as s:
                    trigger.refuse(s, eid, utcnow(), "link off the feed's host", code)
                handled += 1
                continue
            try:
                t = fetch(http, href, MAX_BYTES)
                if 300 <= t.status_code < 400:  # redirects are not followed: refused, like another host
                    with k.db.session() as s:
                        trigger.refuse(s, eid, utcnow(), f"redirected ({t.status_code})", code)
                    handled += 1
                    continue
                data = t._capped if t.status_code == 200 else None  # type: ignore[attr-defined]
            except TooLarge:
                with k.db.session() as s:  # recorded as refused, never fetched again
                    trigger.refuse(s, eid, utcnow(), f"too large (over {MAX_BYTES} bytes)", code)
                handled += 1
                continue
            except requests.RequestException as e:
                log.warning("jma: telegram not fetched: %s", type(e).__name__)
                complete = False
                continue
            if data is None:
                complete = False
                continue
            with k.db.session() as s:
                out = trigger.process(s, data, eid, utcnow(), code)
                s.commit()
            log.info("jma: entry %s: %s", out.telegram_id, out.outcome)
            handled += 1
        if complete:  # else the next round asks for the whole feed again
            cache[url] = {"etag": r.headers.get("ETag", ""), "modified": r.headers.get("Last-Modified", "")}
    return handled


def due(k: Runtime) -> int:
    """Ask-first starts nobody answered within their minutes: start them."""
    with k.db.session() as s:
        n = trigger.due(s, utcnow())
        s.commit()
    return n


def tick(k: Runtime) -> None:
    """The scheduler's job: the feeds (when a feed URL is set), then the unanswered questions."""
    poll(k)
    due(k)
