"""The chat: importing this module registers every capability on the one router."""
from handlers import circulars, corrections, officer, registry  # noqa: F401
from handlers.city import notices, reading, staff  # noqa: F401
from handlers.events import answers, drafting, tally  # noqa: F401
from handlers.framework.router import router  # noqa: F401
from handlers.registration import approvals, join, linking, membership, withdrawal  # noqa: F401
from handlers.safety import board, report, rescue, start, visits  # noqa: F401
from handlers.jma import chat as jma_chat  # noqa: F401
from handlers.views import route as views  # noqa: F401
from handlers.reports import flow as reports_flow, mine as reports_mine  # noqa: F401
from handlers.inquiries import chat as inquiries_chat  # noqa: F401
from handlers.events import late  # noqa: F401,E402 (issue 10: open events for someone approved late)
from handlers.mimamori import check as mimamori_check, enrol as mimamori_enrol  # noqa: F401,E402 (issue 17: 見守り)
from handlers import sticker  # noqa: F401,E402 (issue 10: a sticker is thanked, not answered with help)
from handlers.events import typed  # noqa: F401,E402 (issue 10: answers typed instead of tapped; after disaster mode)
