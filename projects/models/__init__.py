"""Models of the projects app, split by responsibility."""

from .audit import AuditChain, AuditEvent
from .card import CardSection, CardVersion, MLTRLCard
from .level_stays import LevelStay
from .project import (
    Project,
    ProjectGroupObjectPermission,
    ProjectStatus,
    ProjectUserObjectPermission,
)
from .teams import Membership, ReviewRole, RoleGrant, Team
from .tokens import ApiToken, IdempotencyRecord, TokenScope, WebhookReceipt

__all__ = [
    "ApiToken",
    "AuditChain",
    "AuditEvent",
    "CardSection",
    "CardVersion",
    "IdempotencyRecord",
    "LevelStay",
    "MLTRLCard",
    "Membership",
    "Project",
    "ProjectGroupObjectPermission",
    "ProjectStatus",
    "ProjectUserObjectPermission",
    "ReviewRole",
    "RoleGrant",
    "Team",
    "TokenScope",
    "WebhookReceipt",
]
