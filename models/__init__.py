"""Typed SQLAlchemy 2 models. Import everything from here."""
from .base import Base, utcnow
from .circulars import Attachment, Circular, CircularState, Target
from .city import CityNotice, NoticeAttachment, NoticeAudience
from .corrections import Correction
from .db import Database
from .delivery import Delivery, DeliveryHistory
from .events import Event, EventState
from .infra import AuditLog, DialogState, LineQuota, LoginToken, OutboxMessage, WebhookEvent, new_retry_key
from .registry import RegistryChange, RegistryEntry
from .reminders import Reminder
from .roster import (
    BOARD_ROLES,
    OFFICER_ROLES,
    Association,
    Block,
    Household,
    JoinAttempt,
    Member,
    MemberStatus,
    Role,
)
from .safety import Disaster, SafetyAsk, SafetyLocation, SafetyPhoto
from .jma import JmaRule, JmaStart, JmaTelegram
from .reports import Report, ReportFollower, ReportPhoto, ReportUpdate
from .outage import LineOutage
from .inquiries import Inquiry, InquiryAnswer
from .mimamori import MimamoriCheck, MimamoriEnrolment, MimamoriWatcher  # noqa: F401 (issue 17)
from .safety import SafetyAssignment
from .drills import DrillPlan
from .richmenus import RichMenu
from .sendable import Sendable, SendState
from .tenancy import Channel, ChannelRef, CityStaff, Municipality

__all__ = [
    "JmaRule", "JmaStart", "JmaTelegram",
    "Report", "ReportFollower", "ReportPhoto", "ReportUpdate",
    "LineOutage",
    "Inquiry", "InquiryAnswer",
    "SafetyAssignment", "DrillPlan",
    "RichMenu",
    "Association", "Attachment", "AuditLog", "BOARD_ROLES", "Base", "Block", "Circular", "CircularState", "Correction",
    "Channel", "ChannelRef", "CityNotice", "CityStaff", "Database", "Delivery", "DeliveryHistory", "DialogState", "Disaster", "Event", "EventState", "Household", "JoinAttempt",
    "LineQuota", "LoginToken", "Member", "MemberStatus", "Municipality", "NoticeAttachment", "NoticeAudience", "OFFICER_ROLES", "OutboxMessage", "RegistryChange", "RegistryEntry", "Reminder", "Role",
    "SafetyAsk", "SafetyLocation", "SafetyPhoto", "SendState", "Sendable",
    "Target", "WebhookEvent", "new_retry_key", "utcnow",
]
