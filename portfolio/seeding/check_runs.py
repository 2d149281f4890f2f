"""Check runs of bulk projects: a recent run on about half, results, at-risk flags."""

from __future__ import annotations

from datetime import timedelta

from gates.models import CheckResult, CheckRun, CheckRunStatus, GateKind, RunTrigger
from reviews.models import ProjectRisk

from .history import BATCH, Event, History, Plan


def check_runs_write(history: History, plans: list[Plan]) -> tuple[int, int, list, dict]:
    """A recent check run on about half the projects; level 7+ ones failing are at risk."""
    keys_by_level = {}
    for level in range(1, 10):
        keys_by_level[level] = history.gate(GateKind.ADVANCE, level - 1, level)[1][
            "required_checks"
        ]
    runs, pending = [], []
    for plan in plans:
        project = plan.project
        if project.level == 0 or history.rng.random() < 0.5:
            continue
        finished = history.now - timedelta(days=history.rng.uniform(0, 80))
        sha = f"{history.rng.getrandbits(160):040x}"
        keys = keys_by_level[min(9, project.level + 1)]
        failing = set()
        if project.evidence_level is not None and project.evidence_level < project.level:
            failing = set(
                history.rng.sample(
                    list(keys_by_level[project.level]),
                    k=min(2, len(keys_by_level[project.level])),
                )
            )
        elif history.rng.random() < 0.2:
            failing = {history.rng.choice(list(keys))}
        trigger = RunTrigger.SCHEDULE if project.level >= 7 else RunTrigger.PUSH
        run = CheckRun(
            project=project,
            commit_sha=sha,
            trigger=trigger,
            check_keys=list(keys),
            status=CheckRunStatus.SUCCEEDED,
            started_at=finished,
            finished_at=finished,
            progress_done=len(keys),
            progress_total=len(keys),
        )
        runs.append(run)
        pending.append((run, keys, failing, plan, finished))
    CheckRun.objects.bulk_create(runs)
    results, risks = [], []
    extra: dict[int, list[Event]] = {}
    for run, keys, failing, plan, finished in pending:
        for key in keys:
            outcome = (
                "fail" if key in failing else history.rng.choice(("pass", "pass", "pass", "warn"))
            )
            results.append(
                CheckResult(run=run, check_key=key, outcome=outcome, message="Seeded result.")
            )
        extra.setdefault(plan.project.pk, []).append(
            Event(
                "checks.recorded",
                finished,
                None,
                {"run": run.pk, "commit": run.commit_sha, "checks": len(keys)},
            )
        )
        if plan.project.level >= 7 and failing:
            reasons = [
                {"kind": "check_failing", "check": k, "text": f"Required check {k} fails."}
                for k in sorted(failing)
            ]
            risks.append(
                ProjectRisk(
                    project=plan.project,
                    since=finished,
                    reasons=reasons,
                    run=run,
                    assessed_at=finished,
                )
            )
            extra[plan.project.pk].append(
                Event(
                    "project.at_risk",
                    finished,
                    None,
                    {
                        "run": run.pk,
                        "commit": run.commit_sha,
                        "reasons": reasons,
                        "since": finished.isoformat(),
                        "proposed_request": None,
                    },
                )
            )
    for start in range(0, len(results), BATCH * 5):
        CheckResult.objects.bulk_create(results[start : start + BATCH * 5])
    ProjectRisk.objects.bulk_create(risks)
    return len(runs), len(results), risks, extra
