"""Every circular category can be chosen in the chat and is saved, on every database (総会's key
"general_meeting" once did not fit PostgreSQL's column)."""
import pytest
from sqlalchemy import select

from handlers.messages import texts
from models import Circular
from models.circulars import CATEGORIES

from admin_kit import CHAIR
from chat import actions, all_text


@pytest.mark.parametrize("key", CATEGORIES)
def test_each_category_chosen_in_the_chat_is_saved(line, demo, db, key):
    label = texts.CIRCULAR_CATEGORIES[key]
    preview = line.text(CHAIR, "回覧 お知らせ\n本文です。")
    question = line.tap(CHAIR, line.tap(CHAIR, preview, texts.EDIT), texts.FIELD_CATEGORY)
    assert label in [a["label"] for a in actions(question)]
    preview = line.tap(CHAIR, question, label)
    assert texts.PREVIEW_CATEGORY.format(category=label) in all_text(preview)
    line.tap(CHAIR, preview, texts.SEND)
    with db.session() as s:
        assert s.scalars(select(Circular.category)).all() == [key]
