"""Web pages, one blueprint per module: the officers' sign-in and guard (auth.py, signin.py), their
pages (admin.py, admin_events.py, safety_page.py), the residents' pages (pages.py: a circular's full
text, the privacy notice); shared headers (headers.py) and CSV cells (csv_safe.py)."""
