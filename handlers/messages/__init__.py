"""What the chat says and how it looks, as pure functions (no session): every sentence (texts.py),
message shapes (builders.py, cards.py, pickers.py), LINE's limits (limits.py), date formats
(dates.py), labels of models' codes (labels.py), the postback codec (codec.py)."""
