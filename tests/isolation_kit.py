"""Two associations in one database, for the isolation tests (a helper module, not a test module).

`build(session, now)` writes, at the models level, association A (東町) and association B (西町),
each with two 班, six households (one paper-only), a chair, a block leader (of the second 班), a
disaster officer, two residents and an applicant waiting for approval; a sent circular (receipts,
page tokens, an attachment, a planned reminder), a circular draft of the chair's, an open event
(receipts, a reminder), an event draft, an active disaster mode (receipts, round 0, a location and
a stored photo) and an audit entry. A is created first: it is the association of the environment's
channel (what tests/harness.py's `chat` plays when `chat.channel` is None). B may get a channel of
its own (`b_channel=True`).

Every name in B (班, households, members, titles) is its own, so a reply or a page that shows any of
them to A has leaked. `snapshot(session, association_id)` is every row of every table that carries
that association's id; `cross_links(session)` lists rows that point at a row of another association
(a receipt of A for B's household, …); `foreign_pushes` the outbox rows that would reach someone of
another association.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pytest
import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DrillPlan, SafetyAssignment
from models import (
    Association,
    Attachment,
    AuditLog,
    Base,
    Block,
    Channel,
    Circular,
    CircularState,
    CityNotice,
    CityStaff,
    Delivery,
    Disaster,
    Event,
    EventState,
    Household,
    Inquiry,
    Member,
    MemberStatus,
    Municipality,
    OutboxMessage,
    Role,
    SafetyAsk,
    SafetyLocation,
    SafetyPhoto,
    Target,
)
from models.circulars import audience, mark_sent
from models.city import NoticeAudience, mark_sent as mark_notice_sent, plans
from models.delivery import write_receipts
from models.events import mark_sent as mark_event_sent
from models.messaging import enqueue
from models.reminders import schedule
from models.roster import PRIVACY_POLICY_VERSION, new_join_code

JST = dt.timezone(dt.timedelta(hours=9))
# a weekday morning, outside the quiet hours: reminders and re-asks go out at once
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=JST)


@pytest.fixture
def clock():
    """The world's morning (T0), standing still; tests move it (`clock.move_to`)."""
    with time_machine.travel(T0, tick=False) as t:
        yield t

# per association: its name, its two 班, and (role key, household, 班 index, role, on LINE) per person
SPEC = {
    "a": {"slug": "higashi", "name": "東町自治会", "blocks": ("1班", "2班"),
          "people": {"chair": "青木 一郎", "leader": "石井 二郎", "bosai": "上田 三郎", "resident": "江藤 花子",
                     "resident2": "大野 四郎", "paper": "岡本 和子", "pending": "加納 新"},
          "titles": ("公園清掃のお知らせ", "清掃の下書き", "秋祭り", "祭りの下書き")},
    "b": {"slug": "nishi", "name": "西町自治会", "blocks": ("北班", "南班"),
          "people": {"chair": "西村 信二", "leader": "西田 茂", "bosai": "西山 勝", "resident": "西尾 聡子",
                     "resident2": "西岡 稔", "paper": "西原 節子", "pending": "西川 新"},
          "titles": ("西町の断水のお知らせ", "西町の下書き", "西町の運動会", "運動会の下書き")},
}
# role key → (班 index, role); "paper" has no member (the household gets paper), "pending" no household
ROLES = {"chair": (0, Role.chair), "leader": (1, Role.block_leader), "bosai": (0, Role.disaster_officer),
         "resident": (0, Role.member), "resident2": (1, Role.member)}


def user_of(side: str, who: str) -> str:
    """A stable, valid-looking LINE user id for a person of the world."""
    return "U" + hashlib.md5(f"kairan-isolation:{side}:{who}".encode()).hexdigest()


@dataclass
class Side:
    """One association of the world, as plain ids (safe to read after the session is gone)."""

    key: str
    id: int = 0
    name: str = ""
    channel_id: int | None = None
    blocks: list[int] = field(default_factory=list)
    households: dict[str, int] = field(default_factory=dict)  # role key → household id
    members: dict[str, int] = field(default_factory=dict)  # role key → member id
    users: dict[str, str] = field(default_factory=dict)  # role key → LINE user id
    circular: int = 0
    circular_draft: int = 0
    attachment: int = 0
    event: int = 0
    event_draft: int = 0
    disaster: int = 0
    photo: int = 0
    notice: int = 0  # (B) a city notice sent to this side's chair only
    notice_draft: int = 0  # (B) a city staff member's notice draft for this side
    circular_receipts: dict[str, int] = field(default_factory=dict)  # role key / "paper" → delivery id
    event_receipts: dict[str, int] = field(default_factory=dict)
    safety_receipts: dict[str, int] = field(default_factory=dict)
    page_tokens: dict[str, str] = field(default_factory=dict)  # role key → the circular page's token
    words: list[str] = field(default_factory=list)  # every name and title: none may reach the other side
    used_link: str = ""  # (the pages' tests) a sign-in link of this side's chair, already used
    jma_start: int = 0  # a JMA telegram's question ([開始する][開始しない]) still open
    inquiry: int = 0  # a 問い合わせ of this side's resident, in blocks[1] (the block leader's), with a photo
    report: int = 0  # 通報 (issue 16): the resident's confirmed report, with one photo
    report_photo: int = 0
    mimamori: int = 0  # 見守り (issue 17): resident2's enrolment (班長 on the ladder), with a family watcher
    mimamori_watcher: int = 0
    mimamori_check: int = 0  # today's check, escalated to the family
    drill: int = 0  # an ended drill (訓練, issue 14) of this side
    drill_plan: int = 0  # an unannounced drill planned for tomorrow
    assignment: int = 0  # (disaster) the 班長 sent to the resident's household

    def user(self, who: str) -> str:
        return self.users[who]


@dataclass
class World:
    a: Side
    b: Side

    def side(self, key: str) -> Side:
        return self.a if key == "a" else self.b


def _side(s: Session, key: str, now: dt.datetime, channel: bool, disaster: bool, box=None) -> Side:
    spec = SPEC[key]
    side = Side(key)
    assoc = Association(slug=spec["slug"], name=spec["name"])
    s.add(assoc)
    s.flush()
    side.id, side.name = assoc.id, assoc.name
    if channel:
        ch = Channel(bot_user_id="U" + hashlib.md5(f"bot:{key}".encode()).hexdigest(), label=spec["name"],
                     association_id=assoc.id,
                     secret_enc=box.encrypt(f"secret-{key}") if box else "not-a-real-fernet-token",
                     token_enc=box.encrypt(f"token-{key}") if box else "not-a-real-fernet-token")
        s.add(ch)
        s.flush()
        side.channel_id = ch.id
    blocks = [Block(association_id=assoc.id, name=name, position=i) for i, name in enumerate(spec["blocks"])]
    s.add_all(blocks)
    s.flush()
    side.blocks = [b.id for b in blocks]
    people = spec["people"]
    members: dict[str, Member] = {}
    for who, (bi, role) in list(ROLES.items()) + [("paper", (1, None))]:
        h = Household(association_id=assoc.id, block_id=blocks[bi].id, name=people[who], on_line=role is not None,
                      needs_support=who == "paper", join_code=new_join_code(s))
        s.add(h)
        s.flush()
        side.households[who] = h.id
        if role is not None:
            m = Member(association_id=assoc.id, line_user_id=user_of(key, who), household_id=h.id,
                       block_id=blocks[bi].id, name=people[who], role=role, status=MemberStatus.active,
                       consent_at=now, consent_policy_version=PRIVACY_POLICY_VERSION)
            s.add(m)
            members[who] = m
    pending = Member(association_id=assoc.id, line_user_id=user_of(key, "pending"), block_id=blocks[0].id,
                     name=people["pending"], role=Role.prospective, status=MemberStatus.pending, consent_at=now,
                     consent_policy_version=PRIVACY_POLICY_VERSION)
    s.add(pending)
    members["pending"] = pending
    s.flush()
    side.members = {who: m.id for who, m in members.items()}
    side.users = {who: m.line_user_id for who, m in members.items()}
    chair = members["chair"]
    title, draft_title, ev_name, ev_draft_name = spec["titles"]

    # a sent circular to everyone (receipts with page tokens, an attachment, a planned reminder)
    c = Circular(association_id=assoc.id, title=title, body=f"{title}の本文です。", target=Target.all,
                 author_id=chair.id, reminder_plan=[2])
    c.attachments.append(Attachment(association_id=assoc.id, kind="image", filename="photo-1.png",
                                    content_type="image/png", data=b"\x89PNG " + key.encode()))
    s.add(c)
    s.flush()
    aud = audience(s, c)
    mark_sent(s, c, aud, now)
    enqueue(s, assoc.id, aud.user_ids, [{"type": "text", "text": title}], f"circular:{c.id}", now=now)
    schedule(s, assoc.id, "circular", c.id, [now + dt.timedelta(days=2)])
    side.circular, side.attachment = c.id, c.attachments[0].id
    draft = Circular(association_id=assoc.id, title=draft_title, body="", target=Target.all, author_id=chair.id,
                     state=CircularState.draft)
    s.add(draft)

    # an open event (answered per household), and a draft
    ev = Event(association_id=assoc.id, name=ev_name, place="公民館", target=Target.all, author_id=chair.id,
               starts_at=now + dt.timedelta(days=7), deadline=now + dt.timedelta(days=5), reminder_plan=[3])
    s.add(ev)
    s.flush()
    mark_event_sent(s, ev, audience(s, ev), now)
    schedule(s, assoc.id, "event", ev.id, [now + dt.timedelta(days=2)])
    ev_draft = Event(association_id=assoc.id, name=ev_draft_name, target=Target.all, author_id=chair.id,
                     state=EventState.draft)
    s.add(ev_draft)
    s.flush()
    side.circular_draft, side.event, side.event_draft = draft.id, ev.id, ev_draft.id

    drill = Disaster(association_id=assoc.id, kind="quake", message="", started_by_id=members["bosai"].id,
                     started_at=now - dt.timedelta(days=30), ended_at=now - dt.timedelta(days=30), drill=True)
    s.add(drill)
    s.flush()
    plan = DrillPlan(association_id=assoc.id, kind="quake", message="", start_at=now + dt.timedelta(days=1),
                     created_by_id=members["bosai"].id, created_at=now)
    s.add(plan)
    s.flush()
    side.drill, side.drill_plan = drill.id, plan.id
    if disaster:  # disaster mode, as its start writes it: receipts of every household, round 0
        d = Disaster(association_id=assoc.id, kind="quake", message="", started_by_id=members["bosai"].id,
                     started_at=now)
        s.add(d)
        s.flush()
        on_line = {m.household_id for m in members.values() if m.household_id}
        write_receipts(s, assoc.id, "safety", d.id, ((hid, 0, hid in on_line) for hid in side.households.values()), now)
        s.add(SafetyAsk(association_id=assoc.id, disaster_id=d.id, round=0, sent_at=now,
                        households=len(side.households), recipients=len(on_line)))
        s.flush()
        side.disaster = d.id
        mine = s.scalar(select(Delivery).where(Delivery.disaster_id == d.id,
                                               Delivery.household_id == side.households["resident"]))
        mine.record_answer("rescue", members["resident"], at=now)
        s.add(SafetyLocation(association_id=assoc.id, disaster_id=d.id, delivery_id=mine.id,
                             member_id=members["resident"].id, latitude=35.0, longitude=139.0, at=now))
        photo = SafetyPhoto(association_id=assoc.id, disaster_id=d.id, delivery_id=mine.id,
                            member_id=members["resident"].id, line_message_id=f"photo-{key}", status="stored",
                            data=b"\x89PNG photo " + key.encode(), content_type="image/png", at=now)
        s.add(photo)
        s.flush()
        side.photo = photo.id
        # who goes (issue 14): the 班長 was sent to the resident's household
        visit = SafetyAssignment(association_id=assoc.id, disaster_id=d.id, delivery_id=mine.id,
                                 responder_id=members["leader"].id, assigned_by_id=members["chair"].id, assigned_at=now)
        s.add(visit)
        s.flush()
        side.assignment = visit.id


    # a 問い合わせ of the resident, with its photo (handlers/inquiries)
    iq = Inquiry(association_id=assoc.id, member_id=members["resident"].id, block_id=blocks[1].id,
                 text=f"問い合わせ{key}の本文", photo_message_id=f"inq-{key}", photo_status="stored",
                 photo_type="image/png", photo=b"\x89PNG inquiry " + key.encode(), created_at=now)
    s.add(iq)
    s.flush()
    side.inquiry = iq.id

    # 見守り (issue 17): resident2 enrolled, a family member outside the association, a check escalated
    from models.mimamori import MimamoriCheck, MimamoriEnrolment, MimamoriWatcher, local_day
    mm = MimamoriEnrolment(association_id=assoc.id, member_id=members["resident2"].id, hour=9, days="daily",
                           watch_leader=True, watch_welfare=True, code=f"{4000 + len(key)}{ord(key):04d}",
                           consent_at=now, consent_policy_version="x", last_seen_at=now)
    s.add(mm)
    s.flush()
    mw = MimamoriWatcher(association_id=assoc.id, enrolment_id=mm.id, line_user_id=user_of(key, "family"), joined_at=now)
    mc = MimamoriCheck(association_id=assoc.id, enrolment_id=mm.id, day=local_day(now, "Asia/Tokyo"), asked_at=now,
                       status="escalated", step=1, stepped_at=now, escalated_to="family")
    s.add_all([mw, mc])
    s.flush()
    side.mimamori, side.mimamori_watcher, side.mimamori_check = mm.id, mw.id, mc.id

    for kind, subject, out in (("circular", c.id, side.circular_receipts), ("event", ev.id, side.event_receipts),
                               ("safety", side.disaster, side.safety_receipts)):
        if not subject:
            continue
        for d in s.scalars(select(Delivery).where(Delivery.of(kind, subject))):
            who = next(w for w, hid in side.households.items() if hid == d.household_id)
            out[who] = d.id
            if kind == "circular":
                side.page_tokens[who] = d.page_token
    s.add(AuditLog(association_id=assoc.id, actor_id=chair.id, action="circular.send", target=f"circular:{c.id}",
                   at=now))
    s.flush()
    side.words = list(spec["blocks"]) + list(people.values()) + [title, draft_title, ev_name, ev_draft_name, iq.text]
    return side


def build(session: Session, now: dt.datetime, *, b_channel: bool = False, disasters: str = "ab", box=None) -> World:
    """A and B (A first: the environment channel's association), with disaster mode on in `disasters`;
    with `box` (bot.secrets.SecretBox) B's channel has a readable secret and token."""
    a = _side(session, "a", now, False, "a" in disasters)
    b = _side(session, "b", now, b_channel, "b" in disasters, box)
    _city(session, now, a, b)
    _jma(session, now, a, b)
    _reports(session, now, a, b)
    return World(a, b)


def _jma(s: Session, now: dt.datetime, *sides: Side) -> None:
    from models.jma import JmaStart, JmaTelegram
    for side in sides:
        tel = JmaTelegram(entry_id=f"urn:iso:{side.key}", code="VXSE53", event_id=f"ev-{side.key}", serial="1",
                          info_type="発表", outcome="matched", received_at=now)
        s.add(tel)
        s.flush()
        start = JmaStart(association_id=side.id, telegram_id=tel.id, event_key=f"quake:ev-{side.key}", kind="quake",
                         message="地震（震度5強）が発生しました。", what="震度5強", state="asked", ask_until=now + dt.timedelta(minutes=10))
        s.add(start)
        s.flush()
        side.jma_start = start.id


def _city(s: Session, now: dt.datetime, a: Side, b: Side) -> None:
    """Both in one municipality; a city notice sent to B's chair only, and a notice draft for B."""
    city = Municipality(name="いずみ市")
    s.add(city)
    s.flush()
    for side in (a, b):
        s.get(Association, side.id).municipality_id = city.id
    staff = CityStaff(municipality_id=city.id, line_user_id=user_of("city", "staff"), name="市役所 担当")
    s.add(staff)
    s.flush()
    title = "西の市報のお知らせ"
    notice = CityNotice(municipality_id=city.id, author_id=staff.id, title=title, body="本文",
                        audience=NoticeAudience.chairs, association_ids=[b.id])
    draft = CityNotice(municipality_id=city.id, author_id=staff.id, title="西の下書きのお知らせ",
                       audience=NoticeAudience.chairs, association_ids=[b.id])
    s.add_all([notice, draft])
    s.flush()
    mark_notice_sent(s, notice, plans(s, notice, None), now)
    s.flush()
    b.notice, b.notice_draft = notice.id, draft.id
    b.words += [title, "西の下書きのお知らせ"]


# --- reading the database back ---------------------------------------------------------------
def _tables():
    return [t for t in Base.metadata.sorted_tables if "association_id" in t.c]


def _reports(s: Session, now: dt.datetime, *sides: Side) -> None:
    """通報 (issue 16): each side's resident made one report (received), with one stored photo."""
    from models.reports import Report, ReportFollower, ReportPhoto
    for side in sides:
        r = Report(association_id=side.id, year=now.year, seq=1, member_id=side.members["resident"],
                   block_id=side.blocks[0], category="街灯・防犯灯", latitude=35.0, longitude=139.0,
                   comment=f"通報 {side.key}", status="received", created_at=now, submitted_at=now, updated_at=now)
        s.add(r)
        s.flush()
        s.add(ReportFollower(report_id=r.id, member_id=side.members["resident"], kind="reporter"))
        photo = ReportPhoto(report_id=r.id, line_message_id=f"report-photo-{side.key}", content_type="image/png",
                            data=b"\x89PNG report " + side.key.encode(), status="stored")
        s.add(photo)
        s.flush()
        side.report, side.report_photo = r.id, photo.id


def snapshot(session: Session, association_id: int) -> dict[str, list[tuple]]:
    """Every row that carries this association's id (and the association's own row), as text."""
    out = {"associations": [tuple(map(repr, r)) for r in session.execute(
        select(Association.__table__).where(Association.id == association_id))]}
    for t in _tables():
        pk = list(t.primary_key.columns)
        rows = session.execute(select(t).where(t.c.association_id == association_id).order_by(*pk)).all()
        out[t.name] = [tuple(map(repr, r)) for r in rows]
    return out


def changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, tuple[int, int]]:
    """Tables whose rows differ: name → (rows before, rows after)."""
    return {t: (len(before.get(t, [])), len(after.get(t, []))) for t in set(before) | set(after)
            if before.get(t) != after.get(t)}


def cross_links(session: Session) -> list[str]:
    """Rows of one association that point (by a foreign key) at a row of another association."""
    found = []
    for t in _tables():
        for fk in t.foreign_keys:
            target = fk.column.table
            if target.name == "associations" or "association_id" not in target.c:
                continue
            other = target.alias()
            joined = t.join(other, t.c[fk.parent.name] == other.c[fk.column.name])
            n = session.scalar(select(func.count()).select_from(joined)
                               .where(t.c.association_id != other.c.association_id))
            if n:
                found.append(f"{t.name}.{fk.parent.name} → {target.name}: {n} row(s) of another association")
    return found


def foreign_pushes(session: Session, world: World, after_id: int = 0) -> list[str]:
    """Outbox rows (newer than `after_id`) of one association whose recipients include someone of
    the other, or that leave through the other association's channel."""
    out = []
    for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id > after_id)):
        for mine, theirs in ((world.a, world.b), (world.b, world.a)):
            if row.association_id != mine.id:
                continue
            strangers = set(row.recipients) & set(theirs.users.values())
            if strangers:
                out.append(f"outbox {row.id} ({row.purpose}) of {mine.key} reaches {len(strangers)} of {theirs.key}")
            if theirs.channel_id is not None and row.channel_id == theirs.channel_id:
                out.append(f"outbox {row.id} ({row.purpose}) of {mine.key} leaves through {theirs.key}'s channel")
    return out


def last_outbox_id(session: Session) -> int:
    return session.scalar(select(func.max(OutboxMessage.id))) or 0


def leaked_words(blob: str, side: Side) -> list[str]:
    """Names and titles of `side` that appear in `blob` (a reply, a page, a CSV)."""
    return [w for w in side.words if w in blob]


__all__ = ["JST", "T0", "clock", "Side", "World", "build", "changed", "cross_links", "foreign_pushes", "last_outbox_id",
           "leaked_words", "snapshot", "user_of"]
