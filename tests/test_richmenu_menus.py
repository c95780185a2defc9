"""The rich menus as defined in code: LINE's sizes and formats, every area inside the image and
valid against the OpenAPI spec's rich-menu objects, labels within LINE's limits, the exact
actions the other helpers rely on, and which menu each role gets."""
import io

import pytest
from PIL import Image

from handlers.messages import menu_images, texts
from handlers.messages.codec import unpack
from handlers.messages.menus import FULL_HEIGHT, HALF_HEIGHT, LOCATION_URI, MENUS, WIDTH, check_menu
from models import Role
from models.richmenus import DISASTER, DISASTER_OFFICER, OFFICER, OFFICER_FULL, RESIDENT, key_for

from line_spec import validate_schema

VIEWS = {"circulars", "events", "safety", "me", "help", "inquiry", "family", "shelter", "status", "report"}


@pytest.fixture(scope="module")
def font():
    path = menu_images.find_font()
    assert path is not None, menu_images.FONT_FIX  # the project's own dependencies bring one
    return path


@pytest.mark.parametrize("key", sorted(MENUS))
def test_each_menu_object_is_valid_for_line(key):
    body = MENUS[key].body()
    validate_schema(body, "RichMenuRequest")
    for area in body["areas"]:
        validate_schema(area, "RichMenuArea")
    assert check_menu(body) == []
    assert body["size"] in ({"width": WIDTH, "height": FULL_HEIGHT}, {"width": WIDTH, "height": HALF_HEIGHT})
    assert 1 <= len(body["areas"]) <= 20 and 1 <= len(body["chatBarText"]) <= 14


@pytest.mark.parametrize("key", sorted(MENUS))
def test_areas_cover_the_image_inside_it_without_overlap(key):
    menu = MENUS[key]
    cells = set()
    for _, b in menu.areas():
        assert b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= WIDTH and b["y"] + b["height"] <= menu.height
        # big enough for a thumb: at least a sixth of the width and a third of the height
        assert b["width"] >= WIDTH // 6 and b["height"] >= menu.height // 3
        cells.add((b["x"], b["y"], b["width"], b["height"]))
    assert sum(w * h for _, _, w, h in cells) == WIDTH * menu.height  # every pixel is some button


@pytest.mark.parametrize("key", sorted(MENUS))
def test_image_has_lines_size_and_format_under_1_mb(key, font):
    data = menu_images.draw(MENUS[key], font)
    assert len(data) < 1_000_000
    with Image.open(io.BytesIO(data)) as img:
        assert img.format in ("PNG", "JPEG")
        assert img.size == (WIDTH, MENUS[key].height)
        # high contrast: a button's label is white on its dark tile (some pure white pixels inside
        # each area, and the tile colour dominating)
        rgb = img.convert("RGB")
        for button, b in MENUS[key].areas():
            centre = rgb.crop((b["x"] + b["width"] // 4, b["y"] + b["height"] // 3,
                               b["x"] + 3 * b["width"] // 4, b["y"] + 2 * b["height"] // 3))
            colours = dict((c, n) for n, c in centre.getcolors(maxcolors=1 << 20))
            assert colours.get((255, 255, 255), 0) > 500, f"{key}: no label drawn in {button.label}"


def test_labels_are_the_issues_words_within_lines_limit():
    labels = {k: [a["action"]["label"] for a in m.body()["areas"]] for k, m in MENUS.items()}
    assert labels[RESIDENT] == ["回覧板", "行事・出欠", "安否を伝える", "通報", "問い合わせ", "登録内容", "使い方"]
    assert labels[OFFICER_FULL] == ["回覧を出す", "出欠を取る", "状況", "災害モード", "管理画面", "使い方"]
    assert labels[OFFICER] == ["回覧を出す", "出欠を取る", "状況", "管理画面", "使い方"]
    assert labels[DISASTER] == ["安否を伝える", "現在地を送る", "家族の状況", "避難所・連絡先"]
    assert labels[DISASTER_OFFICER] == ["安否を伝える", "現在地を送る", "家族の状況", "避難所・連絡先", "状況"]
    assert all(len(x) <= 20 for ls in labels.values() for x in ls)


def test_actions_follow_the_contract():
    for key in (RESIDENT, DISASTER, DISASTER_OFFICER):
        for a in (area["action"] for area in MENUS[key].body()["areas"]):
            if a["type"] == "uri":
                assert a == {"type": "uri", "label": texts.MENU_LOCATION, "uri": LOCATION_URI}
                continue
            assert a["type"] == "postback" and a["displayText"] == a["label"]
            data = unpack(a["data"])
            assert data["a"] == "view" and data["v"] in VIEWS and set(data) == {"a", "v"}
    words = {"回覧を出す": "回覧", "出欠を取る": "出欠", "状況": "状況", "災害モード": "災害モード",
             "管理画面": "管理画面", "使い方": "使い方"}
    for key in (OFFICER, OFFICER_FULL):
        for a in (area["action"] for area in MENUS[key].body()["areas"]):
            assert a == {"type": "message", "label": a["label"], "text": words[a["label"]]}


def test_each_role_gets_what_it_may_do():
    assert key_for(Role.member, False) == RESIDENT
    assert key_for(Role.chair, False) == key_for(Role.disaster_officer, False) == OFFICER_FULL
    assert key_for(Role.officer, False) == key_for(Role.block_leader, False) == OFFICER
    assert "災害モード" not in [a["action"]["label"] for a in MENUS[OFFICER].body()["areas"]]
    for role in (Role.member, Role.prospective):
        assert key_for(role, True) == DISASTER
    for role in (Role.chair, Role.officer, Role.disaster_officer, Role.block_leader):
        assert key_for(role, True) == DISASTER_OFFICER
    assert "状況" not in [a["action"]["label"] for a in MENUS[DISASTER].body()["areas"]]


def test_a_label_change_changes_the_content_hash(monkeypatch):
    before = {k: m.content_hash("font") for k, m in MENUS.items()}
    assert len(set(before.values())) == len(MENUS)
    assert before == {k: m.content_hash("font") for k, m in MENUS.items()}  # stable
    assert MENUS[RESIDENT].content_hash("other font") != before[RESIDENT]


def test_check_menu_refuses_what_line_refuses():
    body = MENUS[RESIDENT].body()
    body["areas"][0]["bounds"]["x"] = WIDTH - 10
    body["chatBarText"] = "とても長いチャットバーのテキストです"
    body["areas"][1]["action"]["label"] = "あ" * 21
    problems = check_menu(body)
    assert any("bounds" in p for p in problems) and any("chatBarText" in p for p in problems)
    assert any("label" in p for p in problems)
