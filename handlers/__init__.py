"""Capabilities, one module each; importing this package registers them all on the router."""
from . import attendance, circulars, officer, registration, safety  # noqa: F401
from .router import router  # noqa: F401
