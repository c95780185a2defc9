"""The privacy notice a consent card links to names the association it is about; on a city channel
before the pick, the city's associations; and it says what the city's staff see."""
from __future__ import annotations

from handlers.messages import texts
from models import ChannelRef

from chat import button
from city_kit import make_city, uid


def test_the_consent_card_links_the_notice_of_its_association_or_its_city(chat, db, app):
    city = make_city(db)
    chat.channel = city.channel
    card = chat.follow(uid("newcomer"))
    link = button(card, texts.PRIVACY)["uri"]
    assert link.endswith(f"/privacy?m={city.municipality_id}")
    page = app.test_client().get(link.split("kairan.example.jp", 1)[1]).get_data(as_text=True)
    assert texts.PRIVACY_CITY_ASSOCIATIONS.format(city="みどり市") in page and "市の担当者" in page

    east = city.by_name("東町自治会")
    chat.channel = ChannelRef(None, "env", east.id)  # an association's own card
    link = button(chat.follow(uid("someone")), texts.PRIVACY)["uri"]
    path = link.split("kairan.example.jp", 1)[1]
    assert path.startswith("/privacy?a=")
    page = app.test_client().get(path).get_data(as_text=True)
    assert "東町自治会" in page and "市の担当者" in page  # a city's association: the city's part too
    assert app.test_client().get("/privacy?a=nowhere").status_code == 404
    assert app.test_client().get("/privacy?m=99999").status_code == 404
