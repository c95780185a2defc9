"""Every button of every rich menu does something real: a view button's postback is answered by
the view route (never the stale-button answer), an officer button's word is a command, and each
is tried through the webhook as a member who gets that menu."""
import pytest

from handlers.chat import router
from handlers.messages import texts
from handlers.messages.menus import MENUS
from handlers.views.route import VIEWS

from chat import all_text
from views_kit import BOSAI, CHAIR, LEADER, SATO, clock  # noqa: F401 - clock is a fixture

WHO = {"resident": SATO, "officer": LEADER, "officer_full": CHAIR, "disaster": SATO, "disaster_officer": BOSAI}
BUTTONS = [(key, b) for key, menu in MENUS.items() for b, _ in menu.areas()]


@pytest.fixture(autouse=True)
def _clock(clock):
    yield clock


def test_every_menu_key_has_someone_to_try_it_with():
    assert set(WHO) == set(MENUS)


@pytest.mark.parametrize("key,button", BUTTONS, ids=[f"{k}:{b.label}" for k, b in BUTTONS])
def test_each_button_reaches_a_handler(line, demo, key, button):
    if button.kind == "view":
        assert button.value in VIEWS, f"{button.label}: no view {button.value!r}"
        action = button.action()
        said = all_text(line.postback(WHO[key], action["data"]))
    elif button.kind == "message":
        assert router.match_command(button.value) == button.value, f"{button.label}: {button.value!r} is no command"
        said = all_text(line.text(WHO[key], button.value))
    else:
        assert button.action()["uri"].startswith("https://line.me/R/nv/location")
        return
    assert said and texts.STALE_BUTTON not in said and texts.OFFICERS_ONLY not in said, (button.label, said)
