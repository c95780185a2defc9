"""What the 通報 chat tests share (a helper module, not a test module): the people they play, a
daytime clock, JPEGs with GPS tags, walking a report to its confirm, and reading reports back."""
import datetime as dt
import io

import pytest
import time_machine
from PIL import Image
from sqlalchemy import select

from bot.dev.demo import demo_user_id
from bot.outbox import drain
from handlers.messages import texts
from models import Report, ReportPhoto


CHAIR = demo_user_id("山田 太郎")  # 1班, 会長
LEADER2 = demo_user_id("田中 実")  # 班長 (2班)
BOSAI = demo_user_id("小林 修")  # 防災担当 (3班): not told of reports
SATO = demo_user_id("佐藤 花子")  # 1班
ITO = demo_user_id("伊藤 美咲")  # 2班
NAKAMURA = demo_user_id("中村 幸子")  # 2班
T0 = dt.datetime(2026, 6, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
LAMP = texts.REPORT_CATEGORIES[1]  # 街灯・防犯灯
HERE = (35.6812, 139.7671)


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as t:
        yield t


def jpeg(gps: bool = True, size=(64, 48)) -> bytes:
    """A small JPEG, with EXIF GPS tags and a camera name when `gps`."""
    out = io.BytesIO()
    img = Image.new("RGB", size, "red")
    if gps:
        ex = Image.Exif()
        ex[0x010F] = "KairanCam"
        g = ex.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", (35.0, 40.0, 52.3), "E", (139.0, 46.0, 1.6)
        img.save(out, "JPEG", exif=ex)
    else:
        img.save(out, "JPEG")
    return out.getvalue()


def begin(line, who=ITO, category=LAMP):
    """「通報」 → the category tapped: the photo question."""
    q = line.text(who, texts.CMD_REPORT)
    return line.tap(who, q, category)


def to_confirm(line, who=ITO, category=LAMP, where=HERE, photos=(), comment="電球が切れています"):
    """The whole walk up to the last question (the confirm, or the nearby card)."""
    q = begin(line, who, category)
    for p in photos:
        q = line.image(who, p, "image/jpeg")
    if len(photos) < 3:
        q = line.tap(who, q, texts.RPT_NEXT if photos else texts.RPT_NO_PHOTO)
    q = line.location(who, *where, address="東京都千代田区丸の内1丁目") if where else line.text(who, "駅前の交差点")
    return line.text(who, comment) if comment else line.tap(who, q, texts.RPT_NO_COMMENT)


def report_now(line, **kw):
    q = to_confirm(line, **kw)
    return line.tap(kw.get("who", ITO), q, texts.RPT_SEND)


def reports(db, **where):
    with db.session() as s:
        rows = s.scalars(select(Report).filter_by(**where).order_by(Report.id)).all()
        for r in rows:
            _ = list(r.photos), list(r.updates)
        return rows


def photos(db):
    with db.session() as s:
        return s.scalars(select(ReportPhoto).order_by(ReportPhoto.id)).all()


def pushes(fake, after=0):
    return [q for q in fake.sends()[after:] if q.path.endswith(("/push", "/multicast"))]


def recipients(q) -> set:
    to = q.body.get("to")
    return set(to) if isinstance(to, list) else {to}


def sent_pushes(db, k, fake):
    drain(db, k.line)
    return pushes(fake)
