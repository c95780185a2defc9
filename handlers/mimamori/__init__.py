"""見守り (issue 17): a daily 「元気です」 for residents who live alone, with a ladder of people told
when none comes — the family (who join by the resident's code), the 班長, the 民生委員, then the
chair. Opt-in, with the consent recorded; one tap to leave.

enrol.py: opting in (a Dialog), the 「見守り」 view, family members joining, leaving; check.py: the
resident's answers, the watchers' reports and the sign of life (a router observer); common.py:
the ladder, the timings, the cards; status.py: today's state and the 30 days' marks (chat and
page). The daily push, the reminder and the ladder's steps: scheduler/mimamori.py. The page:
bot/web/mimamori_page.py. The rows: models/mimamori.py.
"""
