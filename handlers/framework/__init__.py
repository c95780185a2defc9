"""The chat's machinery, no capability logic: Ctx (ctx.py), the router (router.py), the ports to the
process (ports.py), Dialog tables (dialog.py), DraftFlow — draft → preview → confirm → send, written
once (draft.py, drafts.py) — and the rules every send follows (sending.py)."""
