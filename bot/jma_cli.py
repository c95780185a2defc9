"""`kairan jma rule | inject`: the automatic start from JMA's telegrams (docs/jma.md).

- `kairan jma rule --association SLUG [--codes 1410400,...] [--min 5+] [--mode ask|auto] ...`
  (or `--municipality NAME` for the city tier's default) shows the rule, changing what is given.
- `kairan jma inject FILE [FILE ...]`: processes telegram files as if they came from the feed
  (the simulator's way to show it); the entry id is the file's sha256, so a file counts once.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import click
from sqlalchemy import select

from bot.cli_base import Fail, database
from handlers.jma import trigger
from models import Association, Municipality, utcnow
from models.audit import record
from models.jma import INTENSITIES, MODES, JmaRule

FIELDS = {"codes": "city_codes", "quake_areas": "quake_areas", "tsunami_areas": "tsunami_areas",
          "min_intensity": "min_intensity", "mode": "mode", "minutes": "ask_minutes", "quake": "quake",
          "tsunami": "tsunami", "special": "special"}


@click.group()
def jma() -> None:
    """気象庁の情報による災害モードの自動開始"""


@jma.command("rule")
@click.option("--association", "slug", help="自治会の slug")
@click.option("--municipality", "city", help="市町村名（市単位の既定の設定）")
@click.option("--codes", help="市町村コード（7桁、カンマ区切り）")
@click.option("--quake-areas", help="地震情報／細分区域コード（震度速報用、カンマ区切り）")
@click.option("--tsunami-areas", help="津波予報区コード（カンマ区切り）")
@click.option("--min", "min_intensity", type=click.Choice(INTENSITIES[3:]), help="この震度以上で開始")
@click.option("--mode", type=click.Choice(MODES), help="auto: すぐ開始 / ask: 役員に確認")
@click.option("--minutes", type=click.IntRange(1, 120), help="ask: 答えがなければ何分後に開始するか")
@click.option("--quake/--no-quake", default=None)
@click.option("--tsunami/--no-tsunami", default=None)
@click.option("--special/--no-special", default=None)
def rule(slug, city, **given) -> None:
    if bool(slug) == bool(city):
        raise Fail("--association か --municipality のどちらか一つを指定してください")
    with database() as (_, s):
        if slug:
            a = s.scalar(select(Association).where(Association.slug == slug))
            if a is None:
                raise Fail(f"自治会 {slug} がありません")
            owner, aid = {"association_id": a.id}, a.id
        else:
            m = s.scalar(select(Municipality).where(Municipality.name == city))
            if m is None:
                raise Fail(f"市町村 {city} がありません")
            owner, aid = {"municipality_id": m.id}, None
        r = s.scalar(select(JmaRule).filter_by(**owner))
        if r is None:
            r = JmaRule(**owner, city_codes="", quake_areas="", tsunami_areas="", min_intensity="5-", quake=True,
                        tsunami=True, special=True, mode="ask", ask_minutes=10)
            s.add(r)
        changes = {FIELDS[k]: (v.replace(" ", "") if isinstance(v, str) and k.endswith(("codes", "areas")) else v)
                   for k, v in given.items() if v is not None}
        before = {f: getattr(r, f) for f in changes}
        for f, v in changes.items():
            setattr(r, f, v)
        s.flush()
        if changes and aid is not None:
            record(s, aid, None, "jma.rule", f"jma-rule:{r.id}", before=before, after=changes, by="cli")
        for k, f in FIELDS.items():
            click.echo(f"{k}: {getattr(r, f)}")


@jma.command("inject")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def inject(files) -> None:
    """電文ファイルを、フィードから届いたものとして処理します"""
    with database() as (_, s):
        for f in files:
            data = f.read_bytes()
            out = trigger.process(s, data, "file:" + hashlib.sha256(data).hexdigest(), utcnow())
            click.echo(f"{f.name}: {out.outcome} ({out.starts})")
