"""`kairan city-staff grant | revoke | list`: who is city staff (市の担当者) of which municipality.

A staff member is known by their LINE user id on the municipality's city channel (or, without
one, on the channel given in the environment). Revoking ends their web sessions at once.
bot/cli.py registers the group (its last lines); this module does not import bot.cli (no cycle),
so it has its own few lines of the same helpers.
"""
from __future__ import annotations

import unicodedata

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli_base import Fail, database
from handlers.messages import texts
from models import Channel, CityStaff, Municipality


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def echo_table(rows: list[list[str]]) -> None:
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)).rstrip())


@click.group("city-staff")
def city_staff() -> None:
    """City staff (市の担当者): grant, revoke, list."""


def _municipality(s: Session, name: str) -> Municipality:
    m = s.scalar(select(Municipality).where(Municipality.name == name))
    if m is None:
        raise Fail(texts.CLI_NO_MUNICIPALITY.format(name=name))
    return m


def _channel_id(s: Session, m: Municipality) -> int | None:
    """The municipality's city channel (None: the environment's)."""
    return s.scalar(select(Channel.id).where(Channel.municipality_id == m.id))


@city_staff.command("grant")
@click.argument("line_user_id")
@click.option("--municipality", "municipality_name", required=True, help="municipality name")
@click.option("--name", default=None, help="the staff member's name (shown on the pages)")
def grant(line_user_id: str, municipality_name: str, name: str | None) -> None:
    if not (line_user_id.startswith("U") and len(line_user_id) == 33):
        raise Fail(texts.CLI_BAD_USER_ID)
    with database() as (_, s):
        m = _municipality(s, municipality_name)
        channel_id = _channel_id(s, m)
        staff = s.scalar(select(CityStaff).where(CityStaff.line_user_id == line_user_id,
                                                 CityStaff.channel_id.is_(None) if channel_id is None
                                                 else CityStaff.channel_id == channel_id))
        if staff is not None and staff.municipality_id != m.id:
            raise Fail(texts.CLI_STAFF_ELSEWHERE)
        if staff is None:
            staff = CityStaff(municipality_id=m.id, channel_id=channel_id, line_user_id=line_user_id)
            s.add(staff)
        staff.active = True
        if name is not None:
            staff.name = name
    click.echo(texts.CLI_STAFF_GRANTED.format(municipality=m.name, user=line_user_id))


@city_staff.command("revoke")
@click.argument("line_user_id")
@click.option("--municipality", "municipality_name", required=True, help="municipality name")
def revoke(line_user_id: str, municipality_name: str) -> None:
    with database() as (_, s):
        m = _municipality(s, municipality_name)
        rows = s.scalars(select(CityStaff).where(CityStaff.municipality_id == m.id,
                                                 CityStaff.line_user_id == line_user_id,
                                                 CityStaff.active.is_(True))).all()
        if not rows:
            raise Fail(texts.CLI_STAFF_NONE)
        for staff in rows:
            staff.active = False
            staff.session_epoch = (staff.session_epoch or 0) + 1  # their web sessions end now
    click.echo(texts.CLI_STAFF_REVOKED.format(municipality=m.name, user=line_user_id))


@city_staff.command("list")
@click.option("--municipality", "municipality_name", default=None, help="municipality name (default: every one)")
def list_staff(municipality_name: str | None) -> None:
    with database() as (_, s):
        q = (select(Municipality.name, CityStaff.line_user_id, CityStaff.name, CityStaff.active)
             .join(Municipality, Municipality.id == CityStaff.municipality_id)
             .order_by(Municipality.name, CityStaff.id))
        if municipality_name:
            q = q.where(Municipality.id == _municipality(s, municipality_name).id)
        rows = s.execute(q).all()
    if not rows:
        click.echo(texts.CLI_STAFF_EMPTY)
        return
    echo_table([list(texts.CLI_STAFF_HEADER)] + [[m, u, n or "", texts.CLI_ACTIVE if a else texts.CLI_INACTIVE]
                                                for m, u, n, a in rows])
