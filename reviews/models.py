"""Level-change requests and what reviewers attach to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gates.models import CheckRun, GatePolicyVersion
from projects.models import Project, ReviewRole, Team


class RequestKind(models.TextChoices):
    ADVANCE = "advance", "Advance"
    SWITCHBACK = "switchback", "Switchback"
    ENTRY = "entry", "Entry review"


class SwitchbackKind(models.TextChoices):
    DISCOVERY = "discovery", "Discovery (integration work found a gap)"
    REVIEW = "review", "Review (a gate review sends it back)"
    EMBEDDED = "embedded", "Embedded (a planned loop)"


class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


ACTIVE_STATES = (RequestState.DRAFT, RequestState.OPEN, RequestState.CHANGES_REQUESTED)
UNDER_REVIEW_STATES = (RequestState.OPEN, RequestState.CHANGES_REQUESTED)
TERMINAL_STATES = (RequestState.APPROVED, RequestState.REJECTED, RequestState.WITHDRAWN)


class LevelChangeRequest(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="level_requests")
    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    switchback_kind = models.CharField(max_length=10, choices=SwitchbackKind.choices, blank=True)
    from_level = models.PositiveSmallIntegerField()
    to_level = models.PositiveSmallIntegerField()
    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.DRAFT
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="level_requests"
    )
    reason = models.TextField(blank=True)
    debrief = models.JSONField(default=dict, blank=True)
    policy_version = models.ForeignKey(
        GatePolicyVersion, on_delete=models.PROTECT, related_name="requests"
    )
    requirements = models.JSONField(help_text="The gate's rules as resolved at opening.")
    commit_sha = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(state__in=[s.value for s in ACTIVE_STATES]),
                name="request_one_active_per_project",
            ),
            models.CheckConstraint(
                condition=models.Q(to_level__lte=9) & ~models.Q(to_level=models.F("from_level")),
                name="request_levels_differ",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "project"]),
            # The portfolio's cycle time and switchbacks read decided requests by date
            # without touching the wide rows (requirements JSON): index-only scans.
            models.Index(
                fields=["decided_at"],
                include=[
                    "project",
                    "kind",
                    "state",
                    "switchback_kind",
                    "from_level",
                    "to_level",
                    "created_at",
                ],
                condition=models.Q(decided_at__isnull=False),
                name="request_decided_covering",
            ),
            models.Index(
                fields=["decided_at"],
                include=["project", "switchback_kind"],
                condition=models.Q(kind="switchback", state="approved"),
                name="request_switchback_decided",
            ),
            # The API's request list, newest first: its first page read in index
            # order, not all requests sorted (34,000 at 10,000 projects: 80 -> 18 ms).
            models.Index(fields=["-created_at", "-id"], name="request_newest_first"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.project}: {self.from_level} -> {self.to_level} ({self.state})"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    REJECT = "reject", "Reject"


class SignOff(models.Model):
    """A reviewer's decision in one role. A newer decision by the same reviewer
    supersedes the older one (``active=False``); a new commit may make an approval stale."""

    request = models.ForeignKey(
        LevelChangeRequest, on_delete=models.CASCADE, related_name="signoffs"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signoffs"
    )
    role = models.ForeignKey(ReviewRole, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    independent = models.BooleanField(
        help_text="Signed from outside the owning team by a non-member of it."
    )
    decision = models.CharField(max_length=16, choices=Decision.choices)
    comment = models.TextField(blank=True)
    tasks = models.JSONField(default=list, blank=True, help_text="Remaining work, one per item.")
    commit_sha = models.CharField(max_length=64, blank=True)
    check_run = models.ForeignKey(
        CheckRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    active = models.BooleanField(default=True)
    stale = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "created_at", "pk"]
        constraints = [
            # One person fills at most one slot: one active sign-off per reviewer.
            models.UniqueConstraint(
                fields=["request", "reviewer"],
                condition=models.Q(active=True),
                name="signoff_one_active_per_reviewer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision} as {self.role} on #{self.request_id}"


class Comment(models.Model):
    request = models.ForeignKey(
        LevelChangeRequest, on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment by {self.author} on #{self.request_id}"


class Waiver(models.Model):
    """A failing (or missing) check accepted for a project until ``expires_at``."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="waivers")
    check_key = models.CharField(max_length=64)
    request = models.ForeignKey(
        LevelChangeRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="waivers"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    role = models.ForeignKey(ReviewRole, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When ``waivers_expiring_announce`` recorded ``waiver.expiring`` (once per waiver).
    expiry_announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "check_key", "expires_at"])]

    def __str__(self) -> str:
        return f"waiver of {self.check_key} on {self.project} until {self.expires_at:%Y-%m-%d}"


class RiskReason(models.TextChoices):
    CHECK_FAILING = "check_failing", "A required check of the current level fails"
    WAIVER_EXPIRED = "waiver_expired", "The waiver of a failing required check expired"
    EVIDENCE_BELOW = "evidence_below", "The evidence level fell below the granted level"


class ProjectRisk(models.Model):
    """A project at level 7+ whose scheduled monitoring shows it no longer holds its level.

    One row per project that was ever assessed; ``since`` is set while it is at
    risk and cleared (with ``reasons``) when the checks pass again. Written only
    by ``reviews.risk.project_risk_assess`` (the worker), audited both ways.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="risk")
    since = models.DateTimeField(null=True, blank=True, help_text="At risk since; empty if not.")
    reasons = models.JSONField(default=list, blank=True)
    run = models.ForeignKey(
        CheckRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_request = models.ForeignKey(
        LevelChangeRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assessed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["since"])]

    def __str__(self) -> str:
        return f"{self.project} at risk since {self.since}" if self.since else f"{self.project} ok"


class OpenSlot(models.Model):
    """An empty sign-off place of an open request: the portfolio's bottleneck view.

    A rollup of the sign-offs, written by ``reviews.open_slots`` each time the
    request's gate is evaluated (in that transaction) and rebuilt for every open
    request by beat (a role revoked after its holder signed counts from then).
    """

    request = models.ForeignKey(
        LevelChangeRequest, on_delete=models.CASCADE, related_name="open_slots"
    )
    # The request's project, copied (a request never changes project): the
    # bottleneck view groups by its team without joining the requests.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    roles = models.CharField(max_length=200)  # "research-lead" or "a or b"
    scope = models.CharField(max_length=32)
    missing = models.PositiveSmallIntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        constraints = [
            # Places of one (roles, scope) are one row: a count of rows is a count of
            # requests (no DISTINCT, so the database may group by hashing).
            models.UniqueConstraint(
                fields=["request", "roles", "scope"], name="openslot_one_per_request_slot"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.request_id} waits on {self.roles} ({self.scope})"
