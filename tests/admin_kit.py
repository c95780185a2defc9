"""What the officers' web page tests share (a helper module, not a test module): signing in
through the one-time link an officer gets in the chat, and sending a circular from the chat."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.dev.demo import demo_user_id
from models import LoginToken, Member, Role

from chat import actions

CHAIR = demo_user_id("山田 太郎")
BASE = "https://kairan.example.jp"


def login_link(line, user: str) -> str:
    """What an officer gets by typing 「管理画面」: the URI of the Flex message's button."""
    out = line.text(user, "管理画面")
    uris = [a["uri"] for a in actions(out) if a.get("type") == "uri"]
    assert len(uris) == 1, out
    assert uris[0].startswith(f"{BASE}/admin/login/")
    return uris[0]


def path(url: str) -> str:
    return url[len(BASE):]


def send_circular(line, user: str = CHAIR, title: str = "清掃のお知らせ",
                  body: str = "11月30日に公園の清掃をします。") -> int:
    out = line.text(user, f"回覧 {title}\n{body}")
    data = [a["data"] for a in actions(out) if a.get("type") == "postback" and a["data"].startswith("a=circ_send")]
    assert data, out
    line.postback(user, data[0])
    return int(re.search(r"c=(\d+)", data[0]).group(1))


def sign_in(client, line, user: str = CHAIR):
    url = path(login_link(line, user))
    resp = client.post(url)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)
    assert resp.headers["Location"].endswith("/admin/")
    return resp


def token_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(LoginToken))


def set_role(db, user: str, role: Role) -> None:
    with db.session() as s:
        m = s.scalar(select(Member).where(Member.line_user_id == user))
        m.role = role


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry (Flask-WTF)."""
    found = re.search(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html) or \
        re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def post_form(client, page_url: str, action: str, data: dict | None = None, **kw):
    """POST `data` to `action` with the CSRF token of the page at `page_url`, as a browser would."""
    page = client.get(page_url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return client.post(action, data={**(data or {}), "csrf_token": csrf_token(page.get_data(as_text=True))}, **kw)


def logout(client):
    return post_form(client, "/admin/", "/admin/logout")
