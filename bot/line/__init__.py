"""The LINE Messaging API client (client.py): line-bot-sdk v3 with timeouts, retry keys and a rate
limiter; base URLs come from the settings, so tests point it at the fake API."""
