"""通報: a resident reports a problem (category, photos, location, comment); officers and city staff triage it.

`start(ctx)` (handlers/reports/flow.py) begins a resident's report: the menu's 通報 button
(`pb("view", v="report")`) calls it; the word 「通報」 does too."""
from handlers.reports.flow import start  # noqa: E402,F401 - the menu and the word 「通報」
