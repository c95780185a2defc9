"""City notices (市からのお知らせ): a city staff member types 「お知らせ」 → title, body, attachments,
whom (the chairs of every or chosen associations, or every household of chosen associations that
use the city channel) → preview with the cost per channel → [送信].

DraftFlow (handlers/framework/draft.py) with the drafts in `city_notices`, owned by the staff
member (`StaffDrafts`: ctx.staff, not ctx.member); every button carries the notice id and the
preview's version and is checked there. A non-staff tap gets the polite refusal.

```mermaid
stateDiagram-v2
    [*] --> title
    title --> body
    body --> attach
    attach --> whom
    whom --> preview
    preview --> title: ntc_field
    preview --> body: ntc_field
    preview --> whom: ntc_field
    preview --> [*]: ntc_send
    preview --> [*]: ntc_cancel
```
"""
from __future__ import annotations

from typing import Any

from handlers.framework.ctx import Ctx
from handlers.framework.draft import KEEP, DraftFlow, Field, Sent
from handlers.framework.router import router
from handlers.messages import builders as msg, city as city_msg, texts
from handlers.messages.codec import pb
from models import CityNotice, Municipality, NoticeAttachment, NoticeAudience, SendState, quota as line_quota
from models.city import SUBJECT, mark_sent, pickable, plans
from models.messaging import enqueue
from models.tenancy import quota_key

MAX_TITLE = 40
MAX_BODY = 4500
MAX_ATTACHMENT = 10 * 1024 * 1024
WHOM = "whom"
PAGE = 9  # associations per page of the picker: 9 + 前へ + 次へ + 決定 + 取消 = LINE's 13


class StaffDrafts:
    """Notices in draft, each the draft of one staff member of one municipality."""

    versioned = True
    key, id_key = "n", "notice_id"

    def _id(self, ctx: Ctx, flow: str) -> int:
        d = ctx.dialog
        raw = d.data.get(self.id_key) if d is not None and d.flow == flow else 0
        return ctx.num(self.key) or (int(raw) if str(raw or "").isdigit() else 0)

    def new(self, ctx: Ctx, flow: str, **values: Any) -> CityNotice:
        prev = self.find(ctx, flow)
        if prev is not None:  # 「お知らせ」 again: the old draft goes
            ctx.session.delete(prev)
        d = CityNotice(municipality_id=ctx.staff.municipality_id, author_id=ctx.staff.id, **values)
        ctx.session.add(d)
        ctx.session.flush()
        return d

    def find(self, ctx: Ctx, flow: str) -> CityNotice | None:
        nid = self._id(ctx, flow) if ctx.staff is not None else 0
        d = ctx.session.get(CityNotice, nid) if nid else None
        if d is None or d.municipality_id != ctx.staff.municipality_id or d.author_id != ctx.staff.id \
                or d.state != SendState.draft:
            return None
        return d

    def ref(self, d: CityNotice) -> dict:
        return {self.key: d.id}

    def state(self, d: CityNotice) -> dict:
        return {self.id_key: d.id}

    def drop(self, ctx: Ctx, d: CityNotice) -> None:
        ctx.session.delete(d)


class StaffDraftFlow(DraftFlow):
    """DraftFlow for a draft whose owner is a city staff member: a tap by anyone else is refused."""

    def _own(self, ctx: Ctx) -> Any:
        if ctx.staff is None:
            ctx.reply(msg.text(texts.CITY_STAFF_ONLY))
            return None
        return super()._own(ctx)

    def _on_cancel_word(self, ctx: Ctx) -> None:
        d = self.drafts.find(ctx, self.name)
        if d is not None:
            self.drafts.drop(ctx, d)


# --- the steps ---------------------------------------------------------------------------------
def take_title(ctx: Ctx, d: CityNotice, v: str):
    if len(v) > MAX_TITLE:
        return texts.TITLE_TOO_LONG + texts.TOO_LONG_COUNT.format(n=len(v)), None
    d.title = v
    return None


def take_body(ctx: Ctx, d: CityNotice, v: str):
    if len(v) > MAX_BODY:  # never cut: the limit, and asked again (issue 10)
        return texts.BODY_TOO_LONG.format(max=MAX_BODY) + texts.TOO_LONG_COUNT.format(n=len(v)), None
    d.body = v
    return None


def take_attach(ctx: Ctx, d: CityNotice, v: str):
    return None if v in (texts.NEXT, texts.NO_ATTACHMENT) else (texts.ASK_ATTACH, [msg.say(texts.NEXT)])


def attach(ctx: Ctx, d: CityNotice):
    m = ctx.event.message
    is_pdf = m.type == "file" and (m.file_name or "").lower().endswith(".pdf")
    if is_pdf and (m.file_size or 0) > MAX_ATTACHMENT:
        return texts.ATTACH_TOO_BIG, None
    content = ctx.line.get_content(m.id) if (m.type == "image" or is_pdf) else None
    if content is None:
        return texts.ATTACH_FAILED, None
    data, ctype = content
    filename = m.file_name if m.type == "file" else texts.PHOTO_NAME.format(n=len(d.attachments) + 1)
    d.attachments.append(NoticeAttachment(kind=m.type, filename=filename[:200],
                                          content_type="application/pdf" if is_pdf else ctype, data=data))
    d.version += 1
    ctx.reply(msg.text(texts.ATTACHED.format(filename=filename), [msg.say(texts.NEXT), msg.say(texts.CANCEL)]))
    return KEEP


def ask_whom(ctx: Ctx, d: CityNotice):
    choices = [("set", texts.NOTICE_TO_ALL_CHAIRS, "chairs_all"), ("set", texts.NOTICE_TO_SOME_CHAIRS, "chairs_some")]
    if pickable(ctx.session, d.municipality_id, NoticeAudience.residents, ctx.channel.id):
        choices.append(("set", texts.NOTICE_TO_RESIDENTS, "residents"))
    return texts.NOTICE_ASK_WHOM, choices


def picker(ctx: Ctx, d: CityNotice, offset: int = 0, problem: str | None = None):
    assocs = pickable(ctx.session, d.municipality_id, d.audience, ctx.channel.id)
    chosen = set(d.association_ids or [])
    offset = max(0, min(offset, max(0, len(assocs) - 1) // PAGE * PAGE))
    page = assocs[offset:offset + PAGE]
    buttons: list = [("set", (texts.NOTICE_PICKED if a.id in chosen else "") + a.name, f"t:{a.id}:{offset}")
                     for a in page]
    if offset > 0:
        buttons.append(("set", texts.NOTICE_PREV, f"p:{offset - PAGE}"))
    if offset + PAGE < len(assocs):
        buttons.append(("set", texts.NEXT, f"p:{offset + PAGE}"))
    buttons.append(("set", texts.NOTICE_PICK_DONE, "done"))
    names = texts.NAMES_SEPARATOR.join(a.name for a in assocs if a.id in chosen) or texts.EV_NONE
    text = texts.NOTICE_PICK.format(chosen=names)
    return (f"{problem}\n{text}" if problem else text), buttons


def take_whom(ctx: Ctx, d: CityNotice, v: str):
    if v == "chairs_all":
        d.audience, d.association_ids = NoticeAudience.chairs, []
        return None
    if v in ("chairs_some", "residents"):
        d.audience = NoticeAudience.residents if v == "residents" else NoticeAudience.chairs
        d.association_ids = []
        return picker(ctx, d)
    if d.audience is None:
        return ask_whom(ctx, d)
    kind, _, rest = v.partition(":")
    if kind == "t":  # toggle one association (only one this staff member may pick)
        aid, _, offset = rest.partition(":")
        allowed = {a.id for a in pickable(ctx.session, d.municipality_id, d.audience, ctx.channel.id)}
        if aid.isdigit() and int(aid) in allowed:
            chosen = list(d.association_ids or [])
            chosen.remove(int(aid)) if int(aid) in chosen else chosen.append(int(aid))
            d.association_ids = chosen
        return picker(ctx, d, int(offset) if offset.isdigit() else 0)
    if kind == "p":
        return picker(ctx, d, int(rest) if rest.isdigit() else 0)
    if v == "done":
        return None if d.association_ids else picker(ctx, d, problem=texts.NOTICE_PICK_NONE)
    return ask_whom(ctx, d)


def whom_filled(d: CityNotice) -> bool:
    return d.audience is not None and (d.audience == NoticeAudience.chairs or bool(d.association_ids))


STEPS = [
    Field("title", lambda ctx, d: (texts.NOTICE_ASK_TITLE, []), take_title, lambda d: bool(d.title), required=True,
          label=texts.FIELD_TITLE, empty=texts.NOTICE_ASK_TITLE),
    Field("body", lambda ctx, d: (texts.ASK_BODY, []), take_body, lambda d: bool(d.body), required=True,
          media=attach, label=texts.FIELD_BODY, empty=texts.BODY_EMPTY),
    Field("attach", lambda ctx, d: (texts.ASK_ATTACH, [msg.say(texts.NEXT)]), take_attach, buttons_only=True,
          media=attach),
    Field(WHOM, ask_whom, take_whom, whom_filled, required=True, buttons_only=True, typed=False,
          label=texts.FIELD_TARGET),
]


# --- preview, cost and send --------------------------------------------------------------------
def card(ctx: Ctx, d: CityNotice) -> dict:
    m = ctx.session.get(Municipality, d.municipality_id)
    return city_msg.notice(municipality_name=m.name if m else "", title=d.title, body=d.body,
                           when=d.sent_at or ctx.now, tz=ctx.settings.timezone, read_data=pb("nread", n=d.id),
                           full_data=pb("nfull", n=d.id), attachments=len(d.attachments))


def remaining(ctx: Ctx, channel_id) -> int | None:
    """This month's messages left on a channel, as stored (None: no cap, or not known)."""
    fig = line_quota.figure(ctx.session, None, ctx.now, association_id=None, tz=ctx.settings.timezone,
                            channel=quota_key(channel_id))
    return None if fig is None else fig.remaining


def costs(ctx: Ctx, sent) -> list[tuple[Any, str, int, int | None, bool]]:
    """Per channel: (channel id, whose, pushes, remaining, an association's own)."""
    by_channel: dict[Any, list] = {}
    for p in sent:
        by_channel.setdefault(p.channel_id, []).append(p)
    out = []
    for cid, ps in by_channel.items():
        own = ps[0].own_channel
        out.append((cid, ps[0].name if own else "", sum(len(p.user_ids) for p in ps), remaining(ctx, cid), own))
    return out


def summary(ctx: Ctx, d: CityNotice, _aud) -> str:
    sent = plans(ctx.session, d, ctx.channel.id)
    lines = [texts.NOTICE_PREVIEW_SUMMARY.format(
        audience=texts.NOTICE_AUDIENCE_LABELS.get(d.audience.value if d.audience else "", ""),
        associations=len(sent), receipts=sum(len(p.receipts) for p in sent),
        pushes=sum(len(p.user_ids) for p in sent)), texts.NOTICE_COST_HEADER]
    for _cid, whose, pushes, left, own in costs(ctx, sent):
        line = (texts.NOTICE_COST_OWN.format(association=whose, pushes=pushes) if own
                else texts.NOTICE_COST_CITY.format(pushes=pushes))
        if left is not None:
            line += texts.NOTICE_COST_REMAINING.format(remaining=left)
        lines.append(line)
    if any(own for *_, own in costs(ctx, sent)):
        lines.append(texts.NOTICE_COST_OWN_NOTE)
    return "\n".join(lines)


def send(ctx: Ctx, d: CityNotice, _aud) -> Sent | None:
    sent = plans(ctx.session, d, ctx.channel.id)
    reserve = max(0, ctx.settings.urgent_quota_reserve)
    short = [(whose, pushes, left) for _cid, whose, pushes, left, own in costs(ctx, sent)
             if left is not None and pushes > left - reserve]
    if short and ctx.data.get("force") != "1":
        body = "\n".join(texts.NOTICE_QUOTA_SHORT.format(whose=whose or texts.NOTICE_CITY_CHANNEL, pushes=pushes,
                                                         remaining=left) for whose, pushes, left in short)
        ctx.reply(msg.card(texts.QUOTA_OVER_TITLE, body, [
            msg.postback(texts.SEND_ANYWAY, pb(FLOW.action("send"), n=d.id, v=d.version, force=1)),
            msg.postback(texts.CANCEL, pb(FLOW.action("cancel"), n=d.id))]))
        return None
    mark_sent(ctx.session, d, sent, ctx.now)
    message = card(ctx, d)
    # one multicast per channel (≤ 500 each), not one push per association: the 800 chairs on the
    # city channel are two LINE calls (docs/benchmarks.md, "City tier"); a row that serves several
    # associations belongs to none of them
    by_channel: dict[int | None, tuple[list[str], set[int]]] = {}
    for p in sent:
        if p.user_ids:
            ids, assocs = by_channel.setdefault(p.channel_id, ([], set()))
            ids += p.user_ids
            assocs.add(p.association_id)
    for channel_id, (ids, assocs) in by_channel.items():
        enqueue(ctx.session, next(iter(assocs)) if len(assocs) == 1 else None, list(dict.fromkeys(ids)), [message],
                purpose=f"{SUBJECT}:{d.id}", now=ctx.now, channel_id=channel_id)
    return Sent(texts.NOTICE_SENT.format(associations=len(sent), receipts=sum(len(p.receipts) for p in sent),
                                         pushes=d.push_count), f"notice:{d.id}", {"pushes": d.push_count})


FLOW = StaffDraftFlow("notice", "ntc", StaffDrafts(), STEPS, resident=card, summary=summary, send=send,
                      audit="notice.send", cancelled=texts.NOTICE_CANCELLED)


@router.command(texts.CMD_NOTICE)
def start(ctx: Ctx) -> None:
    """「お知らせ」 asks title, body, attachments and whom; 「お知らせ タイトル」 + newline + body goes
    straight to whom."""
    if ctx.staff is None:
        ctx.reply(msg.text(texts.CITY_STAFF_ONLY))
        return
    rest = ctx.text[len(texts.CMD_NOTICE):].strip()
    title, _, body = rest.partition("\n")
    title, body = title.strip(), body.strip()
    d = FLOW.new(ctx, title="", body="", association_ids=[])
    # nothing cut silently: a value over its limit is asked again at its step, saying the limit
    problems = {name: problem for name, value in (("title", title), ("body", body))
                if value and (problem := FLOW.fields[name].take(ctx, d, value))}
    FLOW.open(ctx, d, oneshot=bool(title and body), problems=problems)





# A city staff member is no association's: on a city channel serving several associations they
# have none (ctx.association None), and the router runs for them only what is declared here.
router.serve_unscoped(commands=[texts.CMD_NOTICE], flows=[FLOW.name],
                      postbacks=[a for a in router.postbacks if a.startswith(f"{FLOW.prefix}_")])
