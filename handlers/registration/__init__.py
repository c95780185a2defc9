"""Residents join and leave: join.py (consent → 班 → name, or a 登録コード), linking.py (a link made
without approval, and its [取り消す]), approvals.py (officers approve or reject), withdrawal.py
(退会 erases personal data), membership.py (follow, unfollow, the help text)."""
