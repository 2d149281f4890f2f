"""Models of the projects app, split by responsibility."""

from .audit import AuditChain, AuditEvent
from .card import CardSection, CardVersion, MLTRLCard
from .project import (
    Project,
    ProjectGroupObjectPermission,
    ProjectStatus,
    ProjectUserObjectPermission,
)
from .teams import Membership, ReviewRole, RoleGrant, Team

__all__ = [
    "AuditChain",
    "AuditEvent",
    "CardSection",
    "CardVersion",
    "MLTRLCard",
    "Membership",
    "Project",
    "ProjectGroupObjectPermission",
    "ProjectStatus",
    "ProjectUserObjectPermission",
    "ReviewRole",
    "RoleGrant",
    "Team",
]
