"""When LINE itself is down (models/outage.py): note the outage, and as soon as LINE answers again
send each block leader of an association in disaster mode their 班's 連絡網 (who to phone or
visit, and who has answered), once per outage. The outbox keeps and sends every waiting row as
always; this job only watches."""
from __future__ import annotations

import logging

from sqlalchemy import select

from handlers.safety.contacts import send_contact_lists
from models import Disaster, utcnow
from models.outage import LineOutage, channels_waiting, last_sent_at, line_down_since, open_outage
from models.tenancy import channel_id_for
from scheduler.runtime import Runtime

log = logging.getLogger(__name__)


def tick(k: Runtime) -> int:
    """One look per channel; returns the 連絡網 rows written to the outbox."""
    now = utcnow()
    written = 0
    with k.db.session() as s:
        for channel_id in channels_waiting(s):
            outage = open_outage(s, channel_id)
            if outage is None:
                since = line_down_since(s, channel_id, now)
                if since is not None:
                    s.add(LineOutage(channel_id=channel_id, since=since, noticed_at=now))
                    log.warning("LINE is not answering on channel %s: urgent rows wait since %s", channel_id, since)
                continue
            sent = last_sent_at(s, channel_id)
            if sent is None or sent <= outage.noticed_at:
                continue  # still down
            outage.recovered_at = now
            log.warning("LINE answers again on channel %s: sending the contact lists to block leaders", channel_id)
            for d in s.scalars(select(Disaster).where(Disaster.ended_at.is_(None)).order_by(Disaster.id)):
                if channel_id_for(s, d.association_id) == channel_id:
                    written += send_contact_lists(s, d, k.settings.timezone, now)
    return written
