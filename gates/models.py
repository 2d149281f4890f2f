"""Gate policies (editable, versioned) and check runs with their results."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from projects.models import Project, ReviewRole


class GateKind(models.TextChoices):
    ADVANCE = "advance", "Advance N -> N+1"
    ENTRY = "entry", "Entry review"
    SWITCHBACK = "switchback", "Switchback"


class GatePolicy(models.Model):
    """The rules of one gate, edited by admins; each save publishes a new version.

    ``key`` is ``"0-1"`` ... ``"8-9"``, ``"entry"`` or ``"switchback"``.
    ``required_checks`` lists the checks this gate adds; an advance request needs
    the checks of every gate up to and including its own (they are cumulative).
    """

    key = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=12, choices=GateKind.choices)
    from_level = models.PositiveSmallIntegerField(null=True, blank=True)
    to_level = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=200)
    required_checks = models.JSONField(default=list, blank=True)
    required_card_sections = models.JSONField(default=list, blank=True)
    waiver_roles = models.ManyToManyField(ReviewRole, blank=True, related_name="+")
    stale_approvals_on_new_commit = models.BooleanField(
        default=True, help_text="A new commit on the request makes earlier approvals stale."
    )
    block_above_components = models.BooleanField(
        default=False,
        help_text="Refuse to advance above the level of a coupled component (else only warn).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "from_level", "key"]
        verbose_name_plural = "gate policies"

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"


class SlotScope(models.TextChoices):
    ANY = "any", "Any team"
    INDEPENDENT = "independent", "Independent (outside the owning team)"
    OWNING_TEAM = "owning_team", "From the owning team"


class GatePolicySlot(models.Model):
    """``count`` sign-offs by holders of any one of ``roles``, within ``scope``."""

    policy = models.ForeignKey(GatePolicy, on_delete=models.CASCADE, related_name="slots")
    roles = models.ManyToManyField(ReviewRole, related_name="+")
    count = models.PositiveSmallIntegerField(default=1)
    scope = models.CharField(max_length=12, choices=SlotScope.choices, default=SlotScope.ANY)

    class Meta:
        ordering = ["policy", "pk"]

    def __str__(self) -> str:
        return f"{self.policy.key} slot x{self.count} ({self.scope})"

    def clean(self) -> None:
        # A slot of 0 approvals would let a request through with no sign-off.
        if self.count is not None and self.count < 1:
            raise ValidationError({"count": "A slot asks for at least 1 approval."})


class GatePolicyVersion(models.Model):
    """An immutable copy of a policy; requests keep the version they were opened under."""

    policy = models.ForeignKey(GatePolicy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "number"], name="gatepolicyversion_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy.key} v{self.number}"


class CheckOutcome(models.TextChoices):
    PASS = "pass", "Pass"
    WARN = "warn", "Warning"
    FAIL = "fail", "Fail"
    ERROR = "error", "Error"


PASSING_OUTCOMES = (CheckOutcome.PASS, CheckOutcome.WARN)


class CheckRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


CHECK_RUN_ACTIVE_STATES = (CheckRunStatus.QUEUED, CheckRunStatus.RUNNING)
CHECK_RUN_FINAL_STATES = (
    CheckRunStatus.SUCCEEDED,
    CheckRunStatus.FAILED,
    CheckRunStatus.CANCELLED,
)


class RunTrigger(models.TextChoices):
    REQUEST = "request", "Request opened"
    RERUN = "rerun", "Re-run asked"
    PUSH = "push", "CI reported a push"
    SCHEDULE = "schedule", "Scheduled monitoring"
    MANUAL = "manual", "Manual"


class CheckRun(models.Model):
    """One evaluation of the check catalog against one commit of a project's repository.

    A run is created queued, possibly before its commit is known (``commit_sha``
    blank: the worker resolves ``ref``). There is at most one live run per
    (project, commit, check set): a second ask for the same commit reuses it,
    and a run whose resolved commit was already checked ends ``cancelled`` with
    ``duplicate_of`` pointing at the run that holds the results.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="check_runs")
    ref = models.CharField(max_length=200, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True)
    check_set = models.CharField(max_length=32, blank=True)
    trigger = models.CharField(max_length=10, choices=RunTrigger.choices, default=RunTrigger.MANUAL)
    request_id = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="The level-change request that asked for this run."
    )
    check_keys = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=CheckRunStatus.choices, default=CheckRunStatus.QUEUED
    )
    message = models.TextField(blank=True)
    error_kind = models.CharField(max_length=32, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    head_resolved_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When this commit was found at the head of the branch (moves evidence).",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the run's message was last sent to the broker (the outbox "
        "dispatcher sends it again when the run is still queued long after).",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "commit_sha", "status"]),
            models.Index(fields=["status", "enqueued_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "commit_sha", "check_set"],
                condition=~models.Q(commit_sha="") & ~models.Q(status="cancelled"),
                name="checkrun_one_live_per_commit_and_set",
            )
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.project} @ {self.commit_sha[:10]} ({self.status})"


class CheckResult(models.Model):
    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="results")
    check_key = models.CharField(max_length=64)
    outcome = models.CharField(max_length=5, choices=CheckOutcome.choices)
    message = models.CharField(max_length=500)
    evidence = models.JSONField(default=dict, blank=True)
    fix = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "check_key"]
        constraints = [
            models.UniqueConstraint(fields=["run", "check_key"], name="checkresult_unique_per_run")
        ]
        indexes = [
            # The portfolio's projects failing each check: an index-only scan of the
            # failed results (a few percent of them) instead of every result.
            models.Index(
                fields=["run", "check_key"],
                condition=models.Q(outcome__in=["fail", "error"]),
                name="checkresult_failing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.check_key}: {self.outcome}"


class ExternalCheckResult(models.Model):
    """A result CI reported for a commit (tests, coverage, evaluation metrics)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="external_results")
    commit_sha = models.CharField(max_length=64)
    check_key = models.CharField(max_length=64)
    outcome = models.CharField(max_length=5, choices=CheckOutcome.choices)
    message = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["project", "commit_sha", "check_key"])]

    def __str__(self) -> str:
        return f"{self.check_key}@{self.commit_sha[:10]}: {self.outcome}"
