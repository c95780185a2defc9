"""The `kairan` console command: serve, scheduler, db, demo, roster, roles, join-codes; the city
tier's municipality, association and channel.

Every command reads its settings from the environment (DATABASE_URL, LINE_CHANNEL_*, ...) via
load_settings(). Errors are one line on stderr and a non-zero exit; nothing is written then.
"""
from __future__ import annotations

import logging
import os
import re
import unicodedata
from pathlib import Path

import click
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot import roster_csv
from bot.cli_base import Fail, database, load_settings
from bot.config import Settings
from bot.dev import demo as demo_data
from handlers.messages import texts
from models import Association, AuditLog, Block, Household, Member, MemberStatus, Role
from models.migrate import upgrade
from models.roles import chair_count
from models.roster import new_join_code, normalize_name
from models.tenancy import Channel, CityStaff, Municipality, channel_id_for
from models.richmenus import enqueue_relink

log = logging.getLogger("kairan")
GRANTABLE = [r.value for r in Role if r != Role.prospective]




def find_association(s: Session, settings: Settings, slug: str | None = None) -> Association | None:
    """The association named by `slug` (--association: its slug, or its name), else the one
    KAIRAN_ASSOCIATION names, else the only one; None when there is none (or nothing matches).
    Several and none named: a clear error."""
    if slug:
        found = s.scalar(select(Association).where(Association.slug == slug))
        if found is None:
            named = s.scalars(select(Association).where(Association.name == slug).limit(2)).all()
            if len(named) > 1:
                raise Fail(f"自治会「{slug}」は複数あります: --association には slug を指定してください（kairan association list）")
            found = named[0] if named else None
        return found
    if settings.association_slug:
        return s.scalar(select(Association).where(Association.slug == settings.association_slug))
    rows = s.scalars(select(Association).order_by(Association.id).limit(2)).all()
    if len(rows) > 1:
        raise Fail("自治会が複数あります: --association で自治会の slug を指定してください（kairan association list）")
    return rows[0] if rows else None


def require_association(s: Session, settings: Settings, slug: str | None = None) -> Association:
    assoc = find_association(s, settings, slug)
    if assoc is None:
        if slug or settings.association_slug:
            raise Fail(f"自治会「{slug or settings.association_slug}」はありません（kairan association list）")
        raise Fail("自治会がありません。先に `kairan roster import --association 名前 FILE.csv` で名簿を取り込んでください")
    return assoc


ASSOCIATION_HELP = "the association (its slug or name; default: the only one, or KAIRAN_ASSOCIATION)"


def association_option(fn):
    return click.option("--association", "association", metavar="S", help=ASSOCIATION_HELP)(fn)


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
            if demo_data.seed_city(s, _box(settings)):
                log.info("seeded the demo city %s (%s on its own channel, %s on the city channel)",
                         demo_data.CITY, demo_data.NAME, demo_data.NISHI)
        k.channels.invalidate()
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
@click.option("--city", is_flag=True, help="also the city tier: みなと市, 西町自治会 on the city channel, a city staff "
                                          "member, 東町自治会 on its own channel (the simulator's demo)")
def demo(city: bool) -> None:
    """Create the demo association (東町自治会, 3 班, 12 世帯) if the database has none."""
    with database() as (settings, s):
        created = demo_data.seed(s)
        city_created = city and demo_data.seed_city(s, _box(settings))
    if created:
        blocks = len({h[0] for h in demo_data.HOUSEHOLDS})
        click.echo(f"デモの自治会「{demo_data.NAME}」を作成しました（{blocks}班・{len(demo_data.HOUSEHOLDS)}世帯）")
    else:
        click.echo("自治会が既にあるので、デモは作成しませんでした")
    if city_created:
        click.echo(f"デモの「{demo_data.CITY}」を作成しました（{demo_data.NISHI}は市のチャネル、"
                   f"{demo_data.NAME}は自分のチャネル、市の担当者 {demo_data.STAFF_NAME}）")


# --- roster --------------------------------------------------------------------------------
@main.group()
def roster() -> None:
    """The roster (名簿) as CSV: 班,氏名,LINE,要支援."""


@roster.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--association", "assoc_name", metavar="S",
              help="the association (slug or name); no association yet: the name of the one to create")
@click.option("--slug", help="the association's short id (default: KAIRAN_ASSOCIATION, or assoc1 when created)")
def roster_import(file: Path, assoc_name: str | None, slug: str | None) -> None:
    """Add and update households from a CSV file (UTF-8 or Shift_JIS). Nothing is deleted."""
    try:
        rows = roster_csv.read_file(file)  # the whole file is checked before the database is touched
    except roster_csv.RosterError as e:
        raise Fail(f"{file}: {e}") from None
    with database() as (settings, s):
        assoc = find_association(s, settings, slug) if slug else None
        if assoc is None and not slug:
            assoc = find_association(s, settings, assoc_name)
        if assoc is None and s.scalar(select(Association.id).limit(1)) is not None:
            raise Fail(f"自治会「{slug or assoc_name or settings.association_slug}」はありません: "
                       "新しい自治会は kairan association add で作成してください")
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
@association_option
def roster_export(output, association: str | None) -> None:
    """Write the roster as CSV (UTF-8 with BOM, opens in Excel)."""
    with database() as (settings, s):
        assoc = find_association(s, settings, association)  # none yet: the empty template
        if assoc is None and association:
            raise Fail(f"自治会「{association}」はありません（kairan association list）")
        data = roster_csv.export(s, assoc)
    output.write(data)


# --- roles -----------------------------------------------------------------------------------
@main.group()
def roles() -> None:
    """Officers: 会長, 役員, 防災担当, 班長."""


@roles.command("grant")
@click.argument("line_user_id")
@click.argument("role", type=click.Choice(GRANTABLE))
@click.option("--block", "block_name", metavar="NAME", help="the 班 a block_leader leads (default: their own)")
@association_option
def roles_grant(line_user_id: str, role: str, block_name: str | None, association: str | None) -> None:
    """Give a registered member a role (member takes it away)."""
    new = Role(role)
    if block_name and new != Role.block_leader:
        raise Fail("--block は block_leader (班長) のときだけ指定できます")
    with database() as (settings, s):
        assoc = require_association(s, settings, association)
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
        if m.status == MemberStatus.active and m.role == Role.chair and new != Role.chair \
                and chair_count(s, assoc.id) == 1:
            raise Fail(f"{m.name} さんは最後の会長です: 先に次の会長に chair を付けてください（会長がいなくなります）")
        previous = m.role
        m.role, m.block_id = new, block_id
        s.add(AuditLog(association_id=assoc.id, actor_id=None, action="role.grant", target=f"member:{m.id}",
                       detail={"role": new.value, "previous": previous.value, "block_id": block_id, "via": "cli"}))
        enqueue_relink(s, assoc.id, [m.id])  # their new menu (sent by the outbox)
        block = s.get(Block, block_id) if new == Role.block_leader else None
        click.echo(f"{m.name} さんを{block.name + 'の' if block else ''}{texts.ROLE_LABELS[new]}にしました"
                   f"（前: {texts.ROLE_LABELS[previous]}）")
        if m.status == MemberStatus.pending:
            click.echo("承認待ちの人です: 承認されると役職が有効になります")


@roles.command("list")
@association_option
def roles_list(association: str | None) -> None:
    """Everyone with a role, 会長 first."""
    order = list(texts.ROLE_LABELS)
    with database() as (settings, s):
        assoc = require_association(s, settings, association)
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


# --- members: who registered lately (the first chair's LINE user id) -------------------------
STATUS_WORDS = {MemberStatus.active: "登録済み", MemberStatus.pending: "承認待ち", MemberStatus.registering: "登録中",
                MemberStatus.unfollowed: "ブロック中", MemberStatus.declined: "同意せず", MemberStatus.withdrawn: "退会"}


@main.group()
def members() -> None:
    """Members who use LINE: who registered lately, with their LINE user ids."""


@members.command("recent")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 500), help="how many, newest first")
@click.option("--all", "everyone", is_flag=True, help="also those who blocked the bot, declined or withdrew")
@association_option
def members_recent(limit: int, everyone: bool, association: str | None) -> None:
    """The newest registrations, newest first, with their LINE user ids.

    How the first 会長 gets the role: they add the bot on LINE and register (同意 → 班 → 名前),
    then the operator finds their LINE user id here and runs `kairan roles grant <id> chair`."""
    from zoneinfo import ZoneInfo

    shown = [MemberStatus.active, MemberStatus.pending, MemberStatus.registering]
    with database() as (settings, s):
        assoc = require_association(s, settings, association)
        q = select(Member).where(Member.association_id == assoc.id, Member.line_user_id.is_not(None))
        if not everyone:
            q = q.where(Member.status.in_(shown))
        rows = s.scalars(q.order_by(Member.created_at.desc(), Member.id.desc()).limit(limit)).all()
        tz = ZoneInfo(settings.timezone)
        table = [[m.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), STATUS_WORDS.get(m.status, m.status.value),
                  m.name or "", (m.household.block.name if m.household and m.household.block else
                                 m.block.name if m.block else ""),
                  texts.ROLE_LABELS.get(m.role, "") if m.role not in (Role.member, Role.prospective) else "",
                  m.line_user_id or ""] for m in rows]
    if not table:
        click.echo("LINE で登録した人はまだいません（友だち追加して、同意・班・名前を答えると載ります）")
        return
    click.echo(f"{assoc.name} 最近の登録（新しい順、{len(table)}人）\n")
    echo_table(["登録日時", "状態", "氏名", "班", "役職", "LINE ユーザーID"], [table])
    click.echo("\n会長にするには: kairan roles grant <LINE ユーザーID> chair")


# --- paper ---------------------------------------------------------------------------------
@main.command("join-codes")
@click.option("--renew", is_flag=True,
              help="Give every household still on an old 8-digit code a new 12-digit one (print new sheets).")
@association_option
def join_codes(renew: bool, association: str | None) -> None:
    """Each household's 登録コード by 班, to print and hand out.

    Codes are 12 digits (1234-5678-9012, the last a check digit). Codes printed before with 8
    digits keep working; --renew replaces them (the old sheets stop working)."""
    with database() as (settings, s):
        assoc = require_association(s, settings, association)
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



# --- the city tier: municipalities, associations, channels -----------------------------------
def find_municipality(s: Session, name: str) -> Municipality:
    m = s.scalar(select(Municipality).where(Municipality.name == name))
    if m is None:
        raise Fail(f"市区町村「{name}」はありません（kairan municipality add {name}）")
    return m


@main.group()
def municipality() -> None:
    """Municipalities (市区町村) whose associations this deployment serves."""


@municipality.command("add")
@click.argument("name")
@click.option("--code", help="全国地方公共団体コード (6 digits), optional")
def municipality_add(name: str, code: str | None) -> None:
    """Add a municipality."""
    name = name.strip()
    if not name or len(name) > 60:
        raise Fail("市区町村の名前は1〜60文字です")
    if code is not None and not re.fullmatch(r"\d{6}", code):
        raise Fail("--code は6桁の数字です（全国地方公共団体コード）")
    with database() as (_, s):
        if s.scalar(select(Municipality.id).where(Municipality.name == name)) is not None:
            raise Fail(f"市区町村「{name}」は既にあります")
        s.add(Municipality(name=name, code=code))
    click.echo(f"市区町村「{name}」を追加しました")


@municipality.command("list")
def municipality_list() -> None:
    """Every municipality, with its associations and channel."""
    with database() as (_, s):
        rows = []
        for m in s.scalars(select(Municipality).order_by(Municipality.id)):
            count = s.scalar(select(func.count()).select_from(Association).where(Association.municipality_id == m.id))
            channel = s.scalar(select(Channel.label).where(Channel.municipality_id == m.id))
            rows.append([m.name, m.code or "", str(count), channel or ""])
    if not rows:
        click.echo("市区町村はありません")
        return
    echo_table(["市区町村", "コード", "自治会数", "市のチャネル"], [rows])


@main.group("association")
def association_group() -> None:
    """Associations (自治会・町内会)."""


@association_group.command("add")
@click.argument("name")
@click.option("--municipality", "municipality_name", metavar="NAME", required=True, help="the municipality it belongs to")
@click.option("--slug", help="short id, letters, digits, - and _ (default: assoc<number>)")
@click.option("--district", help="its 地区 in the municipality (residents on the city channel pick 地区 → 自治会)")
def association_add(name: str, municipality_name: str, slug: str | None, district: str | None) -> None:
    """Add an association to a municipality."""
    name = name.strip()
    if not name or len(name) > 100:
        raise Fail("自治会の名前は1〜100文字です")
    if slug is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", slug):
        raise Fail("--slug は英数字と - _ で40文字までです")
    with database() as (_, s):
        m = find_municipality(s, municipality_name)
        if s.scalar(select(Association.id).where(Association.municipality_id == m.id, Association.name == name)):
            raise Fail(f"{m.name}に自治会「{name}」は既にあります")
        if slug is None:
            n = s.scalar(select(func.count()).select_from(Association)) + 1
            while s.scalar(select(Association.id).where(Association.slug == f"assoc{n}")) is not None:
                n += 1
            slug = f"assoc{n}"
        elif s.scalar(select(Association.id).where(Association.slug == slug)) is not None:
            raise Fail(f"slug「{slug}」は既に使われています")
        s.add(Association(slug=slug, name=name, municipality_id=m.id, district=(district or "").strip() or None))
    click.echo(f"自治会「{name}」({slug}) を{m.name}に追加しました")


@association_group.command("share-with-city")
@click.argument("association")
@click.option("--on/--off", "share", required=True, help="whether the city's staff may see names on their pages")
def association_share(association: str, share: bool) -> None:
    """The association's consent to show names (e.g. the chairs who have not read a notice) to the
    city's staff. Off by default: the city sees counts only (APPI)."""
    with database() as (settings, s):
        a = require_association(s, settings, association)
        before = bool(a.shares_with_city)
        a.shares_with_city = share
        s.add(AuditLog(association_id=a.id, action="association.share_with_city", target=f"association:{a.id}",
                       detail={"before": before, "after": share, "via": "cli"}))
        name = a.name
    click.echo(f"自治会「{name}」: 市の担当者に氏名を{'見せます' if share else '見せません'}")


@association_group.command("list")
def association_list() -> None:
    """Every association: slug, name, municipality, 地区, the channel its residents use."""
    with database() as (_, s):
        rows = []
        for a in s.scalars(select(Association).order_by(Association.id)):
            m = s.get(Municipality, a.municipality_id) if a.municipality_id else None
            channel_id = channel_id_for(s, a.id)
            label = s.get(Channel, channel_id).label if channel_id else "（環境変数のチャネル）"
            rows.append([a.slug, a.name, m.name if m else "", a.district or "", label])
    if not rows:
        click.echo("自治会はありません")
        return
    echo_table(["slug", "自治会", "市区町村", "地区", "チャネル"], [rows])


@main.group()
def channel() -> None:
    """LINE channels: an association's own, or the municipality's (the city channel).

    Secrets and tokens are stored encrypted (KAIRAN_CHANNEL_KEYS, else a key derived from
    KAIRAN_SECRET_KEY) and shown only masked. Every process sees a change within
    KAIRAN_CHANNEL_CHECK_SECONDS (2 s)."""


def _box(settings: Settings):
    from bot.secrets import box_for

    return box_for(settings)


def _check_channel_values(bot_user_id: str, secret: str, token: str) -> None:
    from bot.channels import BOT_USER_ID

    if not BOT_USER_ID.fullmatch(bot_user_id):
        raise Fail("--bot-user-id はボットのユーザーID（U と16進数32桁）です: LINE Developers の「チャネル基本設定」にあります")
    if not secret or not secret.isascii() or any(c.isspace() for c in secret) or len(secret) > 200:
        raise Fail("チャネルシークレットが正しくありません")
    if not token or not token.isascii() or any(c.isspace() for c in token) or len(token) > 1000:
        raise Fail("チャネルアクセストークンが正しくありません")


def _ask_bot_user_id(settings: Settings, token: str, secret: str) -> str:
    """The bot's user id, asked from LINE with the token (simulator: the simulator's own)."""
    if settings.simulator:
        from bot.dev.simulator import bot_user_id

        return bot_user_id(secret)
    from bot.line.client import LineClient

    found = LineClient(settings, token).bot_user_id()
    if found is None:
        raise Fail("LINE からボットのユーザーIDを取得できませんでした: --bot-user-id で指定してください")
    return found


@channel.command("add")
@click.option("--association", "association", metavar="S", help="the association that owns it (its own 公式アカウント)")
@click.option("--municipality", "municipality_name", metavar="NAME", help="the municipality that owns it (the city channel)")
@click.option("--bot-user-id", metavar="U…", help="the bot's user id (the webhook's destination); default: asked from LINE")
@click.option("--secret", help="the channel secret (default: asked, not echoed)")
@click.option("--token", help="the channel access token (default: asked, not echoed)")
@click.option("--label", help="a name to show (default: the owner's name)")
@click.option("--from-env", is_flag=True, help="take the secret and token from LINE_CHANNEL_SECRET / _ACCESS_TOKEN")
@click.option("--friend-url", metavar="URL", help="the add-friend link (https://line.me/R/ti/p/@…), printed as a QR "
                                                   "code on the join sheets")
def channel_add(association: str | None, municipality_name: str | None, bot_user_id: str | None, secret: str | None,
                token: str | None, label: str | None, from_env: bool, friend_url: str | None) -> None:
    """Add a channel, owned by one association or by one municipality."""
    if bool(association) == bool(municipality_name):
        raise Fail("--association か --municipality のどちらか一つを指定してください")
    friend_url = _check_friend_url(friend_url) if friend_url is not None else None
    settings = load_settings()
    if from_env:
        if secret or token:
            raise Fail("--from-env と --secret / --token は一緒に指定できません")
        if settings.simulator or not settings.env_channel:
            raise Fail("--from-env: LINE_CHANNEL_SECRET と LINE_CHANNEL_ACCESS_TOKEN が設定されていません")
        secret, token = settings.channel_secret, settings.channel_access_token
    if secret is None:
        secret = click.prompt("channel secret", hide_input=True, err=True)
    if token is None:
        token = click.prompt("channel access token", hide_input=True, err=True)
    secret, token = secret.strip(), token.strip()
    bot_user_id = bot_user_id or _ask_bot_user_id(settings, token, secret)
    _check_channel_values(bot_user_id, secret, token)
    from bot.channels import add_channel
    from bot.secrets import mask

    with database(settings) as (_, s):
        if s.scalar(select(Channel.id).where(Channel.bot_user_id == bot_user_id)) is not None:
            raise Fail(f"ボットのユーザーID {bot_user_id} のチャネルは既にあります（kairan channel rotate で更新できます）")
        if association:
            owner = require_association(s, settings, association)
            if s.scalar(select(Channel.id).where(Channel.association_id == owner.id)) is not None:
                raise Fail(f"自治会「{owner.name}」には既にチャネルがあります（kairan channel rotate で更新できます）")
            row = add_channel(s, _box(settings), bot_user_id=bot_user_id, secret=secret, token=token,
                              label=(label or owner.name)[:100], association_id=owner.id)
            row.friend_url = friend_url
            s.add(AuditLog(association_id=owner.id, action="channel.add", target=f"channel:{row.id}",
                           detail={"bot_user_id": bot_user_id, "via": "cli", "friend_url": friend_url}))
        else:
            owner = find_municipality(s, municipality_name)
            if s.scalar(select(Channel.id).where(Channel.municipality_id == owner.id)) is not None:
                raise Fail(f"{owner.name}には既に市のチャネルがあります（一つの市区町村に一つです）")
            row = add_channel(s, _box(settings), bot_user_id=bot_user_id, secret=secret, token=token,
                              label=(label or owner.name)[:100], municipality_id=owner.id)
            row.friend_url = friend_url
            # city staff granted before the city had its channel talk to kairan on it from now on
            s.execute(update(CityStaff).where(CityStaff.municipality_id == owner.id, CityStaff.channel_id.is_(None))
                      .values(channel_id=row.id))
        shown = row.label
    click.echo(f"チャネル「{shown}」を追加しました（{bot_user_id}、シークレット {mask(secret)}、トークン {mask(token)}）")
    click.echo(f"LINE Developers で Webhook URL を {settings.base_url}/callback にしてください")


@channel.command("list")
def channel_list() -> None:
    """Every channel: owner, bot user id, secret and token masked, version."""
    from bot.secrets import InvalidToken, mask

    settings = load_settings()
    box = _box(settings)
    with database(settings) as (_, s):
        rows = []
        for c in s.scalars(select(Channel).order_by(Channel.id)):
            if c.association_id is not None:
                owner = f"自治会 {s.get(Association, c.association_id).name}"
            else:
                owner = f"市 {s.get(Municipality, c.municipality_id).name}"
            try:
                secret, token = mask(box.decrypt(c.secret_enc)), mask(box.decrypt(c.token_enc))
            except InvalidToken:
                secret = token = "（復号できません: 鍵が違います）"
            rows.append([str(c.id), c.label, owner, c.bot_user_id, secret, token, str(c.version), c.friend_url or ""])
    if settings.env_channel and not settings.simulator:
        rows.append(["-", "（環境変数）", "最初の自治会", "", mask(settings.channel_secret),
                     mask(settings.channel_access_token), "", ""])
    if not rows:
        click.echo("チャネルはありません（LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN も未設定です）")
        return
    echo_table(["id", "名前", "持ち主", "ボットのユーザーID", "シークレット", "トークン", "版", "友だち追加URL"], [rows])


@channel.command("rotate")
@click.option("--bot-user-id", metavar="U…", required=True, help="the channel's bot user id")
@click.option("--secret", help="the new channel secret; '-' asks for it (not echoed, not in the shell's history)")
@click.option("--token", help="the new channel access token; '-' asks for it (not echoed)")
def channel_rotate(bot_user_id: str, secret: str | None, token: str | None) -> None:
    """Store a channel's new secret and/or token (after reissuing them in LINE Developers)."""
    if secret is None and token is None:
        raise Fail("--secret か --token (または両方) を指定してください")
    if secret == "-":
        secret = click.prompt("new channel secret", hide_input=True, err=True)
    if token == "-":
        token = click.prompt("new channel access token", hide_input=True, err=True)
    from bot.channels import rotate_channel
    from bot.secrets import mask

    settings = load_settings()
    _check_channel_values(bot_user_id, (secret or "x").strip(), (token or "x").strip())
    with database(settings) as (_, s):
        row = s.scalar(select(Channel).where(Channel.bot_user_id == bot_user_id))
        if row is None:
            raise Fail(f"ボットのユーザーID {bot_user_id} のチャネルはありません（kairan channel list）")
        rotate_channel(row, _box(settings), secret.strip() if secret else None, token.strip() if token else None)
        if row.association_id is not None:
            s.add(AuditLog(association_id=row.association_id, action="channel.rotate", target=f"channel:{row.id}",
                           detail={"secret": secret is not None, "token": token is not None, "via": "cli"}))
        label, version = row.label, row.version
    what = "、".join(w for w, v in (("シークレット " + mask(secret or ""), secret), ("トークン " + mask(token or ""), token)) if v)
    click.echo(f"チャネル「{label}」の{what}を更新しました（版 {version}）。数秒ですべてのプロセスに反映されます")


FRIEND_URL_MAX = 200  # Channel.friend_url's length


def _check_friend_url(url: str) -> str:
    url = url.strip()
    if not url.startswith("https://") or not url.isascii() or any(c.isspace() for c in url) \
            or len(url) > FRIEND_URL_MAX or len(url) <= len("https://"):
        raise Fail("--friend-url は https:// で始まる友だち追加のURLです（例: https://line.me/R/ti/p/@kairan）")
    return url


@channel.command("friend-url")
@click.option("--bot-user-id", metavar="U…", required=True, help="the channel's bot user id")
@click.option("--clear", is_flag=True, help="remove the link (the join sheets then print no QR code)")
@click.argument("url", required=False)
def channel_friend_url(bot_user_id: str, clear: bool, url: str | None) -> None:
    """Set (or --clear) the add-friend link of an existing channel: the QR code of the join sheets."""
    if clear == (url is not None):
        raise Fail("URL か --clear のどちらか一つを指定してください")
    new = None if clear else _check_friend_url(url or "")
    settings = load_settings()
    with database(settings) as (_, s):
        row = s.scalar(select(Channel).where(Channel.bot_user_id == bot_user_id))
        if row is None:
            raise Fail(f"ボットのユーザーID {bot_user_id} のチャネルはありません（kairan channel list）")
        old, row.friend_url = row.friend_url, new
        if row.association_id is not None:
            s.add(AuditLog(association_id=row.association_id, action="channel.friend_url", target=f"channel:{row.id}",
                           detail={"before": {"friend_url": old}, "after": {"friend_url": new}, "via": "cli"}))
        label = row.label
    click.echo(f"チャネル「{label}」の友だち追加URLを{'消しました' if new is None else f'{new} にしました'}")


@channel.command("rekey")
def channel_rekey() -> None:
    """Encrypt every channel again with the first key of KAIRAN_CHANNEL_KEYS (key rotation:
    put the new key first, keep the old one after it, rekey, then drop the old one)."""
    from bot.channels import rekey_channels
    from bot.secrets import InvalidToken

    settings = load_settings()
    try:
        with database(settings) as (_, s):
            count = rekey_channels(s, _box(settings))
    except InvalidToken:
        raise Fail("復号できないチャネルがあります: 古い鍵を KAIRAN_CHANNEL_KEYS の2番目以降に残してください"
                   "（何も変更していません）") from None
    click.echo(f"{count}件のチャネルを最初の鍵で暗号化し直しました")


# commands that live in their own modules
from bot.city_cli import city_staff  # noqa: E402 - `kairan city-staff` (bot/city_cli.py)
from bot.registry_cli import registry  # noqa: E402 - `kairan registry` (bot/registry_cli.py)
from bot.jma_cli import jma  # noqa: E402 - `kairan jma` (bot/jma_cli.py)
from bot.richmenu_cli import richmenu  # noqa: E402 - `kairan richmenu` (bot/richmenu_cli.py)

main.add_command(city_staff)
main.add_command(registry)
main.add_command(jma)
main.add_command(richmenu)


if __name__ == "__main__":  # pragma: no cover
    main()
