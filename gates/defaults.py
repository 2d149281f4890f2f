"""The default gate policy (docs/workflow.md), installed for gates that have none.

Each row: gate key, title, slots as (roles, count, scope), checks this gate adds,
card sections it requires, roles that may waive a failing check.
``*`` in that table (independent) is ``SlotScope.INDEPENDENT`` here.
"""

from __future__ import annotations

from typing import Any

from .models import SlotScope

ANY, IND, OWN = SlotScope.ANY, SlotScope.INDEPENDENT, SlotScope.OWNING_TEAM

DEFAULT_POLICIES: tuple[dict, ...] = (
    dict(
        key="0-1",
        title="First principles -> goal-oriented research",
        slots=[(("research-lead",), 1, ANY)],
        checks=["readme_purpose"],
        sections=["tldr"],
        waivers=["research-lead"],
    ),
    dict(
        key="1-2",
        title="Goal-oriented research -> proof of principle",
        slots=[(("research-lead",), 1, ANY), (("research-peer",), 1, ANY)],
        checks=["experiment_records"],
        sections=[],
        waivers=["research-lead"],
    ),
    dict(
        key="2-3",
        title="Proof of principle -> system development",
        slots=[(("research-lead",), 1, ANY), (("research-peer",), 1, ANY)],
        checks=["research_requirements"],
        sections=["requirements"],
        waivers=["research-lead"],
    ),
    dict(
        key="3-4",
        title="System development -> proof of concept",
        slots=[(("research-lead",), 1, ANY), (("engineering",), 1, ANY)],
        checks=[
            "tests_present",
            "ci_config",
            "licence",
            "pinned_dependencies",
            "no_secrets",
            "no_oversized_files",
            "not_only_notebooks",
        ],
        sections=["pitch"],
        waivers=["research-lead", "engineering"],
    ),
    dict(
        key="4-5",
        title="Proof of concept -> ML capability",
        slots=[(("research-lead",), 1, ANY), (("product",), 1, IND), (("ethics",), 1, IND)],
        checks=["datasheet", "ethics_checklist_pre"],
        sections=["data_considerations", "intended_uses", "unacceptable_uses"],
        waivers=["research-lead", "product"],
    ),
    dict(
        key="5-6",
        title="ML capability -> application development",
        slots=[
            (("research-lead",), 1, ANY),
            (("product",), 1, IND),
            (("engineering",), 1, ANY),
            (("ethics",), 1, IND),
        ],
        checks=["product_requirements", "model_card", "interface_docs"],
        sections=["testing_status"],
        waivers=["product", "engineering"],
    ),
    dict(
        key="6-7",
        title="Application development -> integrations",
        slots=[(("product",), 1, IND), (("engineering",), 2, ANY)],
        checks=["ci_unit_tests", "coverage", "api_docs"],
        sections=[],
        waivers=["product", "engineering"],
    ),
    dict(
        key="7-8",
        title="Integrations -> flight-ready",
        slots=[(("engineering",), 1, ANY), (("operations",), 1, IND), (("product",), 1, IND)],
        checks=["integration_tests", "golden_eval", "prediction_logging"],
        sections=[],
        waivers=["product", "operations"],
    ),
    dict(
        key="8-9",
        title="Flight-ready -> deployment",
        slots=[(("operations",), 1, IND), (("product",), 1, IND), (("ethics",), 1, IND)],
        checks=["monitoring_plan", "runbook", "ethics_checklist_post"],
        sections=["caveats"],
        waivers=["product", "operations"],
    ),
    dict(
        key="entry",
        title="Entry review (registering at a higher level)",
        slots=[(("research-lead",), 1, ANY), (("engineering",), 1, ANY), (("product",), 1, IND)],
        checks=[],
        sections=["tldr", "intended_uses"],
        waivers=["research-lead", "product"],
    ),
    dict(
        key="switchback",
        title="Switchback to a lower level",
        slots=[(("research-lead", "product"), 1, OWN)],
        checks=[],
        sections=[],
        waivers=[],
    ),
)


def policies_install(*, actor: Any) -> int:
    """Create the default policy of every gate that has none; publish version 1.

    Administrators only (post_migrate runs it as the ``migrate`` system actor).
    """
    from projects.models import ReviewRole
    from projects.permissions import SYSTEM_POLICY_ADMINS, require_admin

    require_admin(actor, "install gate policies", system=SYSTEM_POLICY_ADMINS)

    from .models import GateKind, GatePolicy, GatePolicySlot
    from .policies import policy_publish

    roles = {r.key: r for r in ReviewRole.objects.all()}
    created = 0
    for row in DEFAULT_POLICIES:
        if GatePolicy.objects.filter(key=row["key"]).exists():
            continue
        if "-" in row["key"]:
            start, end = (int(n) for n in row["key"].split("-"))
            kind = GateKind.ADVANCE
        else:
            start = end = None
            kind = GateKind(row["key"])
        policy = GatePolicy.objects.create(
            key=row["key"],
            kind=kind,
            from_level=start,
            to_level=end,
            title=row["title"],
            required_checks=row["checks"],
            required_card_sections=row["sections"],
        )
        policy.waiver_roles.set([roles[k] for k in row["waivers"]])
        for role_keys, count, scope in row["slots"]:
            slot = GatePolicySlot.objects.create(policy=policy, count=count, scope=scope)
            slot.roles.set([roles[k] for k in role_keys])
        policy_publish(policy=policy, actor=actor)
        created += 1
    return created
