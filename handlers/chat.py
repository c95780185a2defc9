"""The chat: importing this module registers every capability on the one router."""
from handlers import attendance, circulars, officer, registration  # noqa: F401
from handlers.safety import board, report, rescue, start, visits  # noqa: F401
from handlers.framework.router import router  # noqa: F401
