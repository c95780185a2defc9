"""Attendance (出欠): officers draft an event (出欠) → preview → [送信]; residents answer [参加]
[不参加] [未定], then a head count and a comment; 「集計」 shows the results; officers and block
leaders answer for paper households (代理回答).

As for circulars, the draft lives in `events` (state draft) and the dialog step in
`dialog_states`. Buttons carry the event id (later steps of an answer: the receipt id) and are
re-checked (DraftFlow for drafting, answers.py for answers): who may do it, whether the event still exists and whether it is still open.

drafting.py declares the event's steps on DraftFlow (handlers/framework/draft.py); form.py reads a
typed date and time and the one-shot form; answers.py takes the answers (a Dialog for the head
count and the comment); tally.py is 集計; common.py builds the facts the cards are made of.
"""
