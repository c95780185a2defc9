"""The `kairan` console command: serve, scheduler, db, demo, roster, roles, join-codes.

Every command reads its settings from the environment (DATABASE_URL, LINE_CHANNEL_*, ...) via
load_settings(). Errors are one line on stderr and a non-zero exit; nothing is written then.
"""
from __future__ import annotations

import logging
import os
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import roster_csv
from bot.config import ConfigError, Settings, load_settings as _load_settings
from bot.dev import demo as demo_data
from handlers.messages import texts
from models import Association, AuditLog, Block, Database, Household, Member, MemberStatus, Role
from models.migrate import upgrade
from models.roster import new_join_code, normalize_name

log = logging.getLogger("kairan")
GRANTABLE = [r.value for r in Role if r != Role.prospective]


class Fail(click.ClickException):
    """One line on stderr, exit 1 (click's own 'Error:' prefix is English)."""

    def show(self, file=None) -> None:
        click.echo(f"エラー: {self.format_message()}", err=True)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """The settings, or one line saying what the environment lacks (e.g. KAIRAN_SECRET_KEY)."""
    try:
        return _load_settings(env)
    except ConfigError as e:
        raise Fail(str(e)) from None


@contextmanager
def database(settings: Settings | None = None) -> Iterator[tuple[Settings, Session]]:
    """Migrate, then one transaction: committed on success, rolled back on any error."""
    settings = settings or load_settings()
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        with db.session() as s:
            yield settings, s
    finally:
        db.dispose()


def find_association(s: Session, settings: Settings, slug: str | None = None) -> Association | None:
    """The association named by slug (or KAIRAN_ASSOCIATION), else the first one."""
    q = select(Association).order_by(Association.id)
    if slug or settings.association_slug:
        q = q.where(Association.slug == (slug or settings.association_slug))
    return s.scalars(q.limit(1)).first()


def require_association(s: Session, settings: Settings) -> Association:
    assoc = find_association(s, settings)
    if assoc is None:
        raise Fail("自治会がありません。先に `kairan roster import --association 名前 FILE.csv` で名簿を取り込んでください")
    return assoc


def find_block(s: Session, assoc: Association, name: str) -> Block:
    block = next((b for b in s.scalars(select(Block).where(Block.association_id == assoc.id))
                  if normalize_name(b.name) == normalize_name(name)), None)
    if block is None:
        raise Fail(f"班「{name}」はありません")
    return block


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def echo_table(header: list[str], groups: list[list[list[str]]]) -> None:
    """Aligned columns (full-width characters count double); a blank line between groups."""
    widths = [max(_width(r[i]) for g in [[header], *groups] for r in g) for i in range(len(header))]
    for n, group in enumerate([[header], *groups]):
        if n > 1:
            click.echo()
        for row in group:
            click.echo("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)).rstrip())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """電子回覧板 kairan: a LINE bot for neighbourhood associations."""


# --- processes ---------------------------------------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Run the web app and the scheduler in one process (development, or a small server)."""
    from werkzeug.serving import run_simple

    from bot.app import configure_logging, create_app
    from scheduler.runner import start_background

    # In simulator mode the bot calls the fake LINE API mounted in this very app, on this port.
    settings = load_settings({**os.environ, "PORT": str(port)})
    configure_logging(settings.log_level)
    upgrade(settings.database_url)
    app = create_app(settings)
    k = app.extensions["kairan"]
    if settings.simulator:
        with k.db.session() as s:
            if demo_data.seed(s):
                log.info("seeded the demo association %s", demo_data.NAME)
        log.warning("SIMULATOR MODE: LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN are not set; "
                    "nothing reaches LINE, the simulator plays the residents")
    start_background(k)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"kairan: http://{shown}:{port}/")
    if settings.simulator:
        click.echo(f"simulator: http://{shown}:{port}/simulator")
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command()
def scheduler() -> None:
    """Run the scheduled jobs (outbox, inbox sweep, purge) in the foreground.

    SIGTERM (a deploy) or Ctrl-C: the send in flight finishes and is recorded, then it exits."""
    from bot.app import configure_logging
    from bot.state import build
    from scheduler.runner import run_blocking

    settings = load_settings()
    configure_logging(settings.log_level)
    run_blocking(build(settings))


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    upgrade(load_settings().database_url)
    click.echo("データベースを最新の状態にしました")


@main.command()
def demo() -> None:
    """Create the demo association (東町自治会, 3 班, 12 世帯) if the database has none."""
    with database() as (_, s):
        created = demo_data.seed(s)
    if created:
        blocks = len({h[0] for h in demo_data.HOUSEHOLDS})
        click.echo(f"デモの自治会「{demo_data.NAME}」を作成しました（{blocks}班・{len(demo_data.HOUSEHOLDS)}世帯）")
    else:
        click.echo("自治会が既にあるので、デモは作成しませんでした")


# --- roster --------------------------------------------------------------------------------
@main.group()
def roster() -> None:
    """The roster (名簿) as CSV: 班,氏名,LINE,要支援."""


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--association", "assoc_name", metavar="NAME", help="自治会の名前 (no association yet: it is created)")
@click.option("--slug", help="the association's short id (default: KAIRAN_ASSOCIATION, or assoc1 when created)")
def roster_import(file: Path, assoc_name: str | None, slug: str | None) -> None:
    """Add and update households from a CSV file (UTF-8 or Shift_JIS). Nothing is deleted."""
    try:
        rows = roster_csv.read_file(file)  # the whole file is checked before the database is touched
    except roster_csv.RosterError as e:
        raise Fail(f"{file}: {e}") from None
    with database() as (settings, s):
        assoc = find_association(s, settings, slug)
        if assoc is None:
            if not assoc_name:
                raise Fail("自治会がまだありません: --association で自治会の名前を指定してください")
            assoc = Association(slug=slug or settings.association_slug or "assoc1", name=assoc_name)
            s.add(assoc)
            s.flush()
            click.echo(f"自治会「{assoc.name}」({assoc.slug}) を作成しました")
        result = roster_csv.apply(s, assoc, rows)
    if result.new_blocks:
        click.echo(f"新しい班: {'、'.join(result.new_blocks)}")
    for title, names in (("追加", result.added), ("変更", result.changed)):
        if names:
            click.echo(f"{title} {len(names)}世帯:")
            click.echo("".join(f"  {n}\n" for n in names), nl=False)
    click.echo(f"変更なし {result.unchanged}世帯")
    if result.not_in_file:
        click.echo(f"ファイルにない世帯 {result.not_in_file}件はそのまま残しました（削除はしていません）")
    if result.nothing_changed:
        click.echo("名簿に変更はありませんでした")


@roster.command("export")
@click.option("-o", "--output", type=click.File("wb"), default="-", help="file to write (default: stdout)")
def roster_export(output) -> None:
    """Write the roster as CSV (UTF-8 with BOM, opens in Excel)."""
    with database() as (settings, s):
        data = roster_csv.export(s, find_association(s, settings))
    output.write(data)


# --- roles -----------------------------------------------------------------------------------
@main.group()
def roles() -> None:
    """Officers: 会長, 役員, 防災担当, 班長."""


@roles.command("grant")
@click.argument("line_user_id")
@click.argument("role", type=click.Choice(GRANTABLE))
@click.option("--block", "block_name", metavar="NAME", help="the 班 a block_leader leads (default: their own)")
def roles_grant(line_user_id: str, role: str, block_name: str | None) -> None:
    """Give a registered member a role (member takes it away)."""
    new = Role(role)
    if block_name and new != Role.block_leader:
        raise Fail("--block は block_leader (班長) のときだけ指定できます")
    with database() as (settings, s):
        assoc = require_association(s, settings)
        m = s.scalars(select(Member).where(
            Member.association_id == assoc.id, Member.line_user_id == line_user_id,
            Member.status.in_([MemberStatus.active, MemberStatus.pending]))).first()
        if m is None:
            raise Fail(f"LINE ユーザー {line_user_id} は登録されていません（登録済みか承認待ちの人だけに付けられます）")
        home = m.household.block_id if m.household else None
        if new == Role.block_leader:
            block_id = find_block(s, assoc, block_name).id if block_name else home or m.block_id
            if block_id is None:
                raise Fail(f"{m.name} さんの班がわかりません: --block で班を指定してください")
        else:
            block_id = home or m.block_id
        if (m.role, m.block_id) == (new, block_id):
            click.echo(f"{m.name} さんは既に{texts.ROLE_LABELS[new]}です（変更なし）")
            return
        previous = m.role
        m.role, m.block_id = new, block_id
        s.add(AuditLog(association_id=assoc.id, actor_id=None, action="role.grant", target=f"member:{m.id}",
                       detail={"role": new.value, "previous": previous.value, "block_id": block_id, "via": "cli"}))
        block = s.get(Block, block_id) if new == Role.block_leader else None
        click.echo(f"{m.name} さんを{block.name + 'の' if block else ''}{texts.ROLE_LABELS[new]}にしました"
                   f"（前: {texts.ROLE_LABELS[previous]}）")
        if m.status == MemberStatus.pending:
            click.echo("承認待ちの人です: 承認されると役職が有効になります")


@roles.command("list")
def roles_list() -> None:
    """Everyone with a role, 会長 first."""
    order = list(texts.ROLE_LABELS)
    with database() as (settings, s):
        assoc = require_association(s, settings)
        members = s.scalars(select(Member).where(
            Member.association_id == assoc.id, Member.status == MemberStatus.active,
            Member.role.not_in([Role.member, Role.prospective]))).all()
        rows = []
        for m in members:
            block = s.get(Block, m.led_block_id) if m.role == Role.block_leader else m.household and m.household.block
            rows.append((order.index(m.role), block.position if block else -1, m.name or "", m.id,
                         [texts.ROLE_LABELS[m.role], m.name or "", block.name if block else "", m.line_user_id or ""]))
    if not rows:
        click.echo("役職のある人はいません")
        return
    echo_table(["役職", "氏名", "班", "LINE ユーザーID"], [[r[-1] for r in sorted(rows, key=lambda r: r[:-1])]])


# --- paper ---------------------------------------------------------------------------------
@main.command("join-codes")
@click.option("--renew", is_flag=True,
              help="Give every household still on an old 8-digit code a new 12-digit one (print new sheets).")
def join_codes(renew: bool) -> None:
    """Each household's 登録コード by 班, to print and hand out.

    Codes are 12 digits (1234-5678-9012, the last a check digit). Codes printed before with 8
    digits keep working; --renew replaces them (the old sheets stop working)."""
    with database() as (settings, s):
        assoc = require_association(s, settings)
        if renew:
            old = s.scalars(select(Household).where(Household.association_id == assoc.id,
                                                    func.length(Household.join_code) < 14)).all()
            for h in old:
                h.join_code = new_join_code(s)
                s.flush()  # the next new_join_code sees this code
            s.add(AuditLog(association_id=assoc.id, action="join_codes.renew", detail={"households": len(old)}))
            click.echo(f"{len(old)}世帯の登録コードを新しくしました（古い紙のコードは使えなくなります）")
        rows = s.execute(select(Block.id, Block.name, Household.name, Household.join_code)
                         .join(Household, Household.block_id == Block.id)
                         .where(Household.association_id == assoc.id)
                         .order_by(Block.position, Block.id, Household.id)).all()
    if not rows:
        click.echo("世帯がありません")
        return
    groups: dict[int, list[list[str]]] = {}
    for block_id, block, name, code in rows:
        groups.setdefault(block_id, []).append([block, name, code])
    click.echo(f"{assoc.name} 登録コード一覧\n")
    echo_table(["班", "氏名", "登録コード"], list(groups.values()))
    short = sum(1 for r in rows if len(r[3]) < 14)
    if short:
        click.echo(f"\n8桁の古い登録コードが{short}世帯あります（そのまま使えます）。"
                   "12桁に変えるには kairan join-codes --renew")


from bot.registry_cli import registry  # noqa: E402 - `kairan registry` (bot/registry_cli.py)
main.add_command(registry)


if __name__ == "__main__":  # pragma: no cover
    main()
