"""Disaster mode: officers start and end it; every household reports its safety (one member
answers for all), with a location, head count and comment; 「救助が必要」 alerts at once.

While it is active, every message from a member of a household is about the disaster: a typed
status (「大丈夫です」「ﾋﾅﾝｼﾏｼﾀ」) is recorded like its button, any other text or a photo is kept
as the household's 連絡事項 (`hear`, an interceptor of the router). Rescue alerts are coalesced:
one per request, then at most one update every `rescue_update_minutes` (`rescue_update`).

start.py: starting (on DraftFlow, without a version) and ending it; report.py: the residents'
reports (a Dialog for the follow-up) and `hear`; rescue.py: 救助 alerts; visits.py: the lists of
silent households for block leaders; board.py: 「安否状況」 and proxy reports; common.py: the
priorities, limits and facts the cards are made of; drill.py: drills (訓練, issue 14);
responders.py: who goes to a household (訪問の割り当て) and their report back.
"""
# registered with the router on import, like the modules handlers/chat.py imports
from handlers.safety import drill, responders  # noqa: F401,E402
