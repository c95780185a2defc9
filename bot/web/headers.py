"""Security headers of every page a person opens: officers' pages, circular pages and their
attachments, the privacy notice.

The pages carry personal data or secrets in their URL (sign-in links, /c/<token>): no referrer
leaves them, no other site may frame them, nothing is sniffed into another type, and the CSP
allows only what the page itself uses (styles inline, images from this app).
"""
from __future__ import annotations

from flask import Response

# Pages with inline styles and images from this app; no script at all.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# An attachment opened on its own (an image, a PDF): nothing in it may run or load anything else.
ATTACHMENT_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; object-src 'self'; "
                  "form-action 'none'; frame-ancestors 'none'; base-uri 'none'")


def secure(resp: Response, csp: str = PAGE_CSP) -> Response:
    """Adds the headers (a view may have set its own stricter or wider CSP already)."""
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"  # URLs carry tokens (sign-in links, /c/<token>)
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers.setdefault("Content-Security-Policy", csp)
    return resp
