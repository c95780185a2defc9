"""Automatic start of disaster mode from JMA's telegrams (気象庁防災情報XML): parsing
(telegrams.py), rules and starts (trigger.py), the officers' buttons and 「自動開始」 (chat.py)."""
