"""The simulator shows each user's current rich menu under the chat (the real image and its
areas, as the fake LINE holds them); a tap sends exactly the event LINE would send; the menu
switches live when the role or disaster mode changes (relinks through the outbox)."""
import io

from PIL import Image
from playwright.sync_api import expect

from bot.dev.demo import demo_user_id
from handlers.messages import texts
from handlers.messages.codec import pb

from served import CHAIR, HANAKO


def current_menu(sim, user):
    resp = sim.get("/simulator/api/richmenu", user_id=user)
    assert resp.status_code == 200, resp.text
    return resp.json()


def labels(menu):
    return [a["action"]["label"] for a in menu["areas"]]


def test_each_user_sees_their_roles_menu_with_its_real_image(sim):
    resident, chair = current_menu(sim, HANAKO), current_menu(sim, CHAIR)
    assert labels(resident) == ["回覧板", "行事・出欠", "安否を伝える", "通報", "問い合わせ", "登録内容", "使い方"]
    assert labels(chair) == ["回覧を出す", "出欠を取る", "状況", "災害モード", "管理画面", "使い方"]
    image = sim.get(resident["image"])
    assert image.status_code == 200 and image.headers["Content-Type"] in ("image/png", "image/jpeg")
    with Image.open(io.BytesIO(image.content)) as img:
        assert img.size == (resident["size"]["width"], resident["size"]["height"])
    assert sim.fake.menu_of(HANAKO, "env") == resident["id"]


def test_the_menu_switches_live_with_disaster_mode(sim):
    before = current_menu(sim, HANAKO)["id"]
    bosai = demo_user_id("小林 修")
    sim.send(bosai, "text", text="災害モード")
    sim.tap(bosai, sim.new(bosai), "地震")
    sim.send(bosai, "text", text="揺れがありました")
    sim.tap(bosai, sim.new(bosai), "開始する")
    assert current_menu(sim, HANAKO)["id"] == before  # not yet: the relink waits in the outbox
    while sim.dispatch():
        pass
    during = current_menu(sim, HANAKO)
    assert labels(during) == ["安否を伝える", "現在地を送る", "家族の状況", "避難所・連絡先"]
    assert labels(current_menu(sim, bosai))[-1] == "状況"


def test_tapping_the_menu_in_the_page_sends_what_line_sends(chrome, sim):
    page = chrome.page
    page.goto(f"{sim.url}/simulator?open={HANAKO}")
    pane = page.locator(f'section.pane[data-user-id="{HANAKO}"]')
    area = pane.locator(f'.richmenu .richmenu-area[aria-label="{texts.MENU_CIRCULARS}"]')
    expect(pane.locator(".richmenu img.richmenu-img")).to_be_visible(timeout=30_000)
    expect(pane.locator(".richmenu .richmenu-area")).to_have_count(7)
    box = pane.locator(".richmenu-box").bounding_box()
    hit = pane.locator(".richmenu .richmenu-area").nth(0).bounding_box()
    assert hit["width"] > box["width"] / 3.5 and hit["height"] > box["height"] / 2.5  # a third by a half
    area.click()
    expect(pane.locator(".row.me").last).to_contain_text(texts.MENU_CIRCULARS, use_inner_text=True)
    items = sim.new(HANAKO)
    mine = [i for i in items if i["from"] == "user"]
    assert mine and mine[-1]["kind"] == "postback" and mine[-1]["data"] == pb("view", v="circulars")
    # an officer's area sends the command word as a text message
    page.goto(f"{sim.url}/simulator?open={CHAIR}")
    pane = page.locator(f'section.pane[data-user-id="{CHAIR}"]')
    expect(pane.locator(".richmenu .richmenu-area")).to_have_count(6, timeout=30_000)
    pane.locator('.richmenu .richmenu-area[aria-label="状況"]').click()
    expect(pane.locator(".row.me").last).to_contain_text("状況", use_inner_text=True)
    mine = [i for i in sim.new(CHAIR) if i["from"] == "user"]
    assert mine[-1]["kind"] == "text" and mine[-1]["text"] == texts.CMD_STATUS
    assert chrome.errors() == []
