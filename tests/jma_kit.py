"""What the JMA tests share (a helper module): a fake JMA PULL feed server on 127.0.0.1 (Atom
feeds with ETag / Last-Modified and 304s, telegram documents), the sample telegrams, a rule for
the demo association and a Runtime for scheduler/jma.py."""
from __future__ import annotations

import datetime as dt
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import select

from models import Association
from models.jma import JmaRule

SAMPLES = Path(__file__).parent / "jma_samples"
MINATO_CITY = "1410400"  # the demo's みなと市 plays 横浜市中区 in the built samples
FLASH = "32-39_11_01_120615_VXSE51.xml"  # 震度速報, 2011-03-11: 宮城県北部 (220) 震度6強
FLASH_CANCEL = "32-35_10_01_220510_VXSE51.xml"
QUAKE = "built_VXSE53_minato.xml"
TSUNAMI = "built_VTSE41_minato.xml"
SPECIAL = "built_VPWW54_minato.xml"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


class FakeFeed:
    """JMA's PULL feeds as a tiny HTTP server: `publish(feed, entry_id, name, body)` adds an entry."""

    def __init__(self):
        self.entries: dict[str, list[tuple[str, str]]] = {"eqvol.xml": [], "extra.xml": []}
        self.docs: dict[str, bytes] = {}
        self.version = 0
        self.requests: list[tuple[str, int]] = []  # (path, status)
        self.links: dict[str, str] = {}  # entry id → a link of its own (another host…)
        self.redirects: dict[str, str] = {}  # a document's name → where it redirects (302)
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                name = self.path.lstrip("/")
                if name in feed.entries:
                    etag = f'"v{feed.version}"'
                    if self.headers.get("If-None-Match") == etag:
                        return self._send(304, b"")
                    return self._send(200, feed.atom(name), {"ETag": etag, "Last-Modified": formatdate(usegmt=True)})
                if name.startswith("data/") and name[5:] in feed.redirects:
                    return self._send(302, b"", {"Location": feed.redirects[name[5:]]})
                if name.startswith("data/") and name[5:] in feed.docs:
                    return self._send(200, feed.docs[name[5:]])
                self._send(404, b"")

            def _send(self, status, body, headers=None):
                feed.requests.append((self.path, status))
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, feed: str, entry_id: str, name: str, body: bytes) -> None:
        self.docs[name] = body
        self.entries[feed].insert(0, (entry_id, name))  # newest first, as JMA's feeds
        self.version += 1

    def atom(self, feed: str) -> bytes:
        now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # the test's (travelled) clock
        items = "".join(f"<entry><title>x</title><id>{eid}</id><updated>{now}</updated>"
                        f'<link type="application/xml" href="{self.links.get(eid, f"{self.url}/data/{name}")}"/></entry>'
                        for eid, name in self.entries[feed])
        return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
                f"<title>JMA</title><id>urn:fake:{feed}</id><updated>{now}</updated>"
                f"{items}</feed>").encode()

    def fetched(self, prefix: str) -> list[tuple[str, int]]:
        return [r for r in self.requests if r[0].startswith(prefix)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def runtime(k, url: str):
    """A scheduler Runtime pointing at the fake feed."""
    return SimpleNamespace(db=k.db, settings=k.settings.with_(jma_feed_url=url), extras={})


def demo_rule(db, **fields) -> int:
    """The rule of the demo association 東町自治会 (みなと市 = 1410400 / 細分区域 350 / 津波予報区 350)."""
    values = dict(city_codes=f"{MINATO_CITY},1410000", quake_areas="350", tsunami_areas="350", min_intensity="5-",
                  quake=True, tsunami=True, special=True, mode="auto", ask_minutes=10)
    values.update(fields)
    with db.session() as s:
        a = s.scalar(select(Association).where(Association.slug == "higashi"))
        s.add(JmaRule(association_id=a.id, **values))
        return a.id
