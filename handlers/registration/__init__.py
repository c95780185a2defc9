"""Residents join and leave: join.py (consent → 班 → name; the dialog's table), codes.py (a 登録コード),
city.py (on a city channel: 地区 → 自治会 before the 班), common.py (what they say and the rules,
the association a city-channel resident registers in), linking.py (a link made without approval,
and its [取り消す]), approvals.py (officers approve or reject), withdrawal.py (退会 erases personal
data), membership.py (follow, unfollow, the help text)."""
