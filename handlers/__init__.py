"""Everything said and done in the chat.

- `handlers.messages`: every sentence (texts), every message shape (builders, pickers), LINE's
  limits, the postback codec — pure functions, no session.
- `handlers.framework`: Ctx, the router, the ports to the process (no capability logic).
- one module per capability, registered on the router when `handlers.chat` is imported.

Imports models only (and itself); what handlers need from the process comes through Ctx's ports.
"""
