"""`kairan registry`: the city's sheet of association registry entries, from the console.

    kairan registry export --municipality NAME > file.csv    every association of the municipality
    kairan registry import FILE [--municipality NAME] [--apply]

`import` shows what would change (association, field, before → after) and writes nothing; with
--apply it writes the changes and their history (actor: the operator, via "cli"). The file's rows
must all be associations of one municipality (the one named, or the one they share). The CSV's
shape is bot/registry_csv.py's. bot/cli.py adds the group to `kairan` (this module does not import
it back: no cycle).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import registry_csv
from bot.cli_base import Fail, database
from handlers.messages import texts
from models import Association, Municipality
from models.registry import Actor

OPERATOR = Actor("operator", texts.REGISTRY_ACTOR_OPERATOR, "cli")


def municipality(s: Session, name: str) -> Municipality:
    found = s.scalar(select(Municipality).where(Municipality.name == name))
    if found is None:
        raise Fail(texts.REGISTRY_CLI_NO_MUNICIPALITY.format(name=name))
    return found


def municipality_of(s: Session, sheet: registry_csv.Sheet, name: Optional[str]) -> int:
    """The municipality named, else the one every row's association belongs to."""
    if name:
        return municipality(s, name).id
    if not sheet.rows:
        raise Fail(texts.REGISTRY_CLI_NO_ROWS)
    ids = set(s.scalars(select(Association.municipality_id).where(Association.id.in_(list(sheet.rows)))))
    if len(ids) > 1:
        raise Fail(texts.REGISTRY_CLI_MIXED)
    if not ids or None in ids:  # no such association, or one of no municipality
        first = min(sheet.rows)
        raise Fail(texts.REGISTRY_CSV_BAD_ID.format(line=sheet.lines[first], value=first))
    return ids.pop()


@click.group()
def registry() -> None:
    """The association registry (自治会台帳): the city's CSV sheet."""


@registry.command("export")
@click.option("--municipality", "name", required=True, metavar="NAME", help="the municipality (its name)")
def export(name: str) -> None:
    """Write every association of the municipality as one CSV (UTF-8 with BOM) to stdout."""
    with database() as (_, s):
        data = registry_csv.export(s, municipality(s, name).id)
    click.echo(data, nl=False)  # bytes: written as they are (the BOM first)


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "name", metavar="NAME", help="the municipality (default: the one of the file's rows)")
@click.option("--apply", "apply_", is_flag=True, help="write the changes (without it: only show them)")
def import_(file: Path, name: Optional[str], apply_: bool) -> None:
    """Show what the CSV would change in the registry; with --apply, write it (and the history)."""
    try:
        sheet = registry_csv.read(file.read_bytes())
    except registry_csv.RegistryCsvError as e:
        raise Fail(str(e)) from None
    with database() as (_, s):
        city = municipality_of(s, sheet, name)
        try:
            planned = registry_csv.preview(s, city, sheet)
        except registry_csv.RegistryCsvError as e:
            raise Fail(str(e)) from None
        for p in planned:
            click.echo(texts.REGISTRY_CLI_LINE.format(association=p.association, field=p.label,
                                                      before=p.before or texts.REGISTRY_EMPTY,
                                                      after=p.after or texts.REGISTRY_EMPTY))
        associations = len({p.association_id for p in planned})
        if not planned:
            click.echo(texts.REGISTRY_CLI_NOTHING)
        elif not apply_:
            click.echo(texts.REGISTRY_CLI_PREVIEW.format(n=len(planned), associations=associations))
        else:
            fields, associations = registry_csv.apply(s, city, sheet, OPERATOR)
            click.echo(texts.REGISTRY_CLI_APPLIED.format(n=fields, associations=associations))
