"""City staff (市の担当者) in the chat: 「管理画面」 (a one-time link to /city) and city notices
(市からのお知らせ: draft → preview → cost per channel → send; the chairs' and residents' [読みました]).

Ctx.association is None for a staff member on a city channel: these handlers run for ctx.staff
and check it themselves (the router's roles are members' roles)."""
