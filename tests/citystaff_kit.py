"""What the city staff tests share (a helper module, not a test module): a municipality with two
associations (北町 on its own channel, 南町 on the city channel), each with a chair, a resident and
a paper household; the city channel and a city staff member; a second municipality with its own
association and staff (who must see nothing of the first); signing in to /city."""
from __future__ import annotations

import re
from dataclasses import dataclass

from models import (
    Association,
    Block,
    Channel,
    ChannelRef,
    CityStaff,
    Household,
    Member,
    MemberStatus,
    Municipality,
    Role,
)

from chat import actions, button
from conftest import user_id

BASE = "https://kairan.example.jp"
STAFF = user_id("市役所 担当")
OTHER_STAFF = user_id("隣の市 担当")
CHAIR_N = user_id("北町 会長")
CHAIR_S = user_id("南町 会長")
RESIDENT_N = user_id("北町 住民")
RESIDENT_S = user_id("南町 住民")
CHAIR_O = user_id("隣町 会長")


@dataclass
class City:
    municipality_id: int
    north_id: int  # 北町自治会: its own channel
    south_id: int  # 南町自治会: the city channel
    city_channel: ChannelRef
    north_channel: ChannelRef
    staff_id: int
    other_municipality_id: int
    other_id: int  # 隣町自治会 of the other municipality
    other_channel: ChannelRef
    other_staff_id: int


def _association(s, name: str, slug: str, municipality_id: int, chair: str, resident: str | None,
                 district: str = "中央地区") -> Association:
    a = Association(slug=slug, name=name, municipality_id=municipality_id, district=district)
    s.add(a)
    s.flush()
    block = Block(association_id=a.id, name="1班", position=1)
    s.add(block)
    s.flush()
    people = [(f"{name[:2]} 会長", chair, Role.chair), (f"{name[:2]} 住民", resident, Role.member),
              (f"{name[:2]} 紙", None, None)]
    for n, (person, uid, role) in enumerate(people):
        if uid is None and role is not None:
            continue
        h = Household(association_id=a.id, block_id=block.id, name=person, on_line=uid is not None,
                      join_code=f"{slug[:4]:0<4}-{n:04d}-0000"[:14])
        s.add(h)
        s.flush()
        if uid is not None:
            s.add(Member(association_id=a.id, line_user_id=uid, household_id=h.id, name=person, role=role,
                         status=MemberStatus.active))
    return a


def make_city(db) -> City:
    """さくら市 (北町: own channel, 南町: the city channel, a staff member) and もみじ市 (隣町, its staff)."""
    with db.session() as s:
        m = Municipality(name="さくら市")
        other = Municipality(name="もみじ市")
        s.add_all([m, other])
        s.flush()
        north = _association(s, "北町自治会", "north", m.id, CHAIR_N, RESIDENT_N, "北地区")
        south = _association(s, "南町自治会", "south", m.id, CHAIR_S, RESIDENT_S, "南地区")
        neighbour = _association(s, "隣町自治会", "neighbour", other.id, CHAIR_O, None)
        city = Channel(bot_user_id="U" + "c" * 32, label="さくら市 公式", municipality_id=m.id,
                       secret_enc="secret", token_enc="token")
        own = Channel(bot_user_id="U" + "a" * 32, label="北町自治会", association_id=north.id,
                      secret_enc="secret", token_enc="token")
        other_city = Channel(bot_user_id="U" + "d" * 32, label="もみじ市 公式", municipality_id=other.id,
                             secret_enc="secret", token_enc="token")
        s.add_all([city, own, other_city])
        s.flush()
        staff = CityStaff(municipality_id=m.id, channel_id=city.id, line_user_id=STAFF, name="市役所 担当")
        other_staff = CityStaff(municipality_id=other.id, channel_id=other_city.id, line_user_id=OTHER_STAFF,
                                name="隣の市 担当")
        s.add_all([staff, other_staff])
        s.flush()
        return City(m.id, north.id, south.id, city.ref(), own.ref(), staff.id, other.id, neighbour.id,
                    other_city.ref(), other_staff.id)


def link_of(messages: list[dict], prefix: str = "/city/login/") -> str:
    uris = [a["uri"] for a in actions(messages) if a.get("type") == "uri"]
    assert len(uris) == 1, messages
    assert uris[0].startswith(BASE + prefix), uris
    return uris[0][len(BASE):]


def staff_link(chat, city: City, user: str = STAFF, channel: ChannelRef | None = None) -> str:
    """What a staff member gets by typing 「管理画面」 on their channel: the path of the link."""
    chat.channel = channel or city.city_channel
    return link_of(chat.text(user, "管理画面"))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client, path: str):
    """Open the link (GET: the confirm page), press ログインする (POST with its CSRF token)."""
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_of(page.get_data(as_text=True))})


def send_notice_to_all_chairs(chat, city: City, title: str = "ごみの出し方", body: str = "12月から変わります。"):
    """The staff member sends a notice to every chair; returns (the preview, the notice id)."""
    chat.channel = city.city_channel
    out = chat.text(STAFF, f"お知らせ {title}\n{body}")
    preview = chat.tap(STAFF, out, "全自治会の会長")
    send = button(preview, "送信")
    chat.postback(STAFF, send["data"])
    return preview, int(re.search(r"n=(\d+)", send["data"]).group(1))


def read_button(rows) -> str:
    """The [読みました] postback data of the notice card in outbox rows."""
    return button(rows[0].messages, "読みました")["data"]
