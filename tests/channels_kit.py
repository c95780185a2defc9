"""Channels for tests: a municipality, associations on their own channel or the city's, and a
`ChannelLine` that posts to /callback as one channel's LINE does (its destination, its secret).

The fake LINE API names each channel's token `channel:<id>` (the environment's token: `env`), as
the simulator does, so a test asserts which channel a request went out through.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from bot.channels import add_channel
from bot.secrets import box_for
from models import Association, Block, Household, Member, MemberStatus, Municipality, Role, utcnow
from models.roster import PRIVACY_POLICY_VERSION, new_join_code
from models.tenancy import Channel

from chat import SECRET, TOKEN, Line, event_id  # noqa: F401
from conftest import user_id


def name_of(channel_id: int | None) -> str:
    return "env" if channel_id is None else f"channel:{channel_id}"


def register_tokens(k, fake) -> None:
    """Tell the fake LINE every channel's token (and the environment's), and accept only those."""
    fake.tokens.clear()
    fake.tokens[k.settings.channel_access_token] = "env"
    for e in k.channels.entries():
        fake.tokens[e.token] = name_of(e.id)
    fake.strict_tokens = True


def municipality(db, name: str = "みなと市") -> int:
    with db.session() as s:
        m = s.scalar(select(Municipality).where(Municipality.name == name))
        if m is None:
            m = Municipality(name=name)
            s.add(m)
            s.flush()
        return m.id


def association(db, slug: str, name: str, people: list[tuple[str, Role | None]], municipality_id: int | None = None,
                district: str | None = None) -> int:
    """An association with one 班 and a household per person; a role: a registered member."""
    with db.session() as s:
        a = Association(slug=slug, name=name, municipality_id=municipality_id, district=district)
        s.add(a)
        s.flush()
        b = Block(association_id=a.id, name="1班", position=0)
        s.add(b)
        s.flush()
        for person, role in people:
            h = Household(association_id=a.id, block_id=b.id, name=person, on_line=True, join_code=new_join_code(s))
            s.add(h)
            s.flush()
            if role is not None:
                s.add(Member(association_id=a.id, line_user_id=user_id(person), household_id=h.id, block_id=b.id,
                             name=person, role=role, status=MemberStatus.active, consent_at=utcnow(),
                             consent_policy_version=PRIVACY_POLICY_VERSION))
        return a.id


def channel(k, label: str, *, association_id: int | None = None, municipality_id: int | None = None,
            secret: str | None = None, token: str | None = None) -> dict:
    """A channel row (secret and token encrypted with the app's key); the app's cache is told."""
    bot = user_id(f"bot:{label}")
    secret = secret or f"secret-{bot[1:17]}"
    token = token or f"token-{bot[17:]}"
    with k.db.session() as s:
        row = add_channel(s, box_for(k.settings), bot_user_id=bot, secret=secret, token=token, label=label,
                          association_id=association_id, municipality_id=municipality_id)
        cid = row.id
    k.channels.invalidate()
    return {"id": cid, "bot_user_id": bot, "secret": secret, "token": token, "name": name_of(cid)}


def stored(db, channel_id: int):
    with db.session() as s:
        row = s.get(Channel, channel_id)
        s.expunge(row)
        return row


class ChannelLine(Line):
    """LINE as one channel sends it: its `destination`, signed with its secret (or any secret
    given), reply tokens that only that channel's token may use."""

    def __init__(self, client, fake, destination: str, secret: str, name: str = "env"):
        super().__init__(client, fake, secret)
        self.destination, self.name = destination, name

    def reply_token(self, user: str) -> str:
        return self.fake.issue_reply_token(user, self.name)

    def post(self, *events: dict, signature_override: str | None = None, validate: bool = True,
             secret: str | None = None) -> int:
        from bot.webhook import signature

        body = json.dumps({"destination": self.destination, "events": list(events)}, ensure_ascii=False).encode()
        sig = signature_override if signature_override is not None else signature(secret or self.secret, body)
        resp = self.client.post("/callback", data=body, headers={"X-Line-Signature": sig,
                                                                 "Content-Type": "application/json"})
        self.last_status = resp.status_code
        return resp.status_code


def on(app, fake, ch: dict | None) -> ChannelLine:
    """The driver of that channel (None: the environment's, with a destination no row has)."""
    if ch is None:
        return ChannelLine(app.test_client(), fake, "U" + "e" * 32, SECRET, "env")
    return ChannelLine(app.test_client(), fake, ch["bot_user_id"], ch["secret"], ch["name"])
