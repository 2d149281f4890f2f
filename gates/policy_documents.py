"""Gate policies as documents: export a version as JSON or TOML, import a document
as the policy's next version (administrators), diff two versions.

The document is exactly a version's snapshot (``gates.policies.policy_snapshot``).
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from projects.models import CardSection, ReviewRole
from projects.permissions import require_admin

from .models import GatePolicy, GatePolicySlot, GatePolicyVersion, SlotScope
from .policies import policy_publish, policy_slots_problem

FIELDS = (
    "key",
    "kind",
    "title",
    "slots",
    "required_checks",
    "required_card_sections",
    "waiver_roles",
    "stale_approvals_on_new_commit",
    "block_above_components",
)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def policy_document_render(snapshot: dict[str, Any], fmt: str) -> str:
    """A version's snapshot as ``json`` or ``toml`` text."""
    if fmt == "json":
        return json.dumps(snapshot, indent=2, sort_keys=True) + "\n"
    if fmt != "toml":
        raise ValidationError({"format": "Use json or toml."})
    lines = [f"{k} = {_toml_value(snapshot[k])}" for k in FIELDS if k != "slots" and k in snapshot]
    for slot in snapshot.get("slots", []):
        lines += ["", "[[slots]]", *(f"{k} = {_toml_value(v)}" for k, v in slot.items())]
    return "\n".join(lines) + "\n"


def policy_document_parse(text: str, fmt: str) -> dict[str, Any]:
    """Parse a document; a syntax error is a ``ValidationError`` naming the line."""
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValidationError({"document": f"Not valid {fmt.upper()}: {exc}"}) from None
    if not isinstance(data, dict):
        raise ValidationError({"document": "The document must be a table of fields."})
    return data


MAX_SLOT_COUNT = 20  # far above any real gate; a PositiveSmallIntegerField underneath


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _shape_errors(document: dict[str, Any]) -> dict[str, str]:
    """Type errors that would otherwise crash the checks below (or the database)."""
    errors: dict[str, str] = {}
    if _has_nul(document):
        errors["document"] = "The document must not contain NUL characters."
    slots = document.get("slots", [])
    if not isinstance(slots, list) or not all(isinstance(s, dict) for s in slots):
        errors["slots"] = "Slots are a list of tables with roles, count and scope."
    elif not all(_strings(s.get("roles", [])) for s in slots):
        errors["slots"] = "A slot's roles are a list of role keys."
    if not _strings(document.get("waiver_roles", [])):
        errors["waiver_roles"] = "Waiver roles are a list of role keys."
    if not _strings(document.get("required_card_sections", [])):
        errors["required_card_sections"] = "Sections are a list of section names."
    if not isinstance(document.get("title", ""), str):
        errors["title"] = "The title is text."
    return errors


def _clean(document: dict[str, Any], policy: GatePolicy) -> dict[str, Any]:
    errors = _shape_errors(document)
    if errors:
        raise ValidationError(errors)
    unknown = set(document) - set(FIELDS)
    if unknown:
        errors["document"] = f"Unknown fields: {', '.join(sorted(unknown))}."
    if document.get("kind", policy.kind) != policy.kind:
        errors["kind"] = f"{policy.key} is a {policy.kind} gate; the kind cannot change."
    slots = document.get("slots", [])
    roles = {r.key: r for r in ReviewRole.objects.all()}
    named = {r for s in slots for r in s.get("roles", [])} | set(document.get("waiver_roles", []))
    if named - set(roles):
        errors["roles"] = f"Unknown roles: {', '.join(sorted(map(str, named - set(roles))))}."
    for slot in slots:
        if slot.get("scope", SlotScope.ANY) not in SlotScope.values:
            errors["slots"] = f"A slot's scope is one of {', '.join(SlotScope.values)}."
        count = slot.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or count > MAX_SLOT_COUNT:
            errors["slots"] = f"A slot's count is a whole number up to {MAX_SLOT_COUNT}."
    problem = (
        None
        if "slots" in errors
        else policy_slots_problem(
            [{"roles": s.get("roles", []), "count": s.get("count", 1)} for s in slots]
        )
    )
    if problem:
        errors["slots"] = problem
    sections = document.get("required_card_sections", [])
    if set(sections) - set(CardSection.values):
        errors["required_card_sections"] = f"Sections are among {', '.join(CardSection.values)}."
    checks = document.get("required_checks", [])
    if not isinstance(checks, list) or not all(isinstance(c, str) and c for c in checks):
        errors["required_checks"] = "Required checks are a list of check keys."
    for flag in ("stale_approvals_on_new_commit", "block_above_components"):
        if flag in document and not isinstance(document[flag], bool):
            errors[flag] = "true or false."
    if errors:
        raise ValidationError(errors)
    return {"slots": slots, "roles": roles, "sections": sections, "checks": checks}


@transaction.atomic
def policy_import(*, key: str, document: dict[str, Any], actor: Any) -> GatePolicyVersion:
    """Make the document the policy's content and publish it as a new version
    (administrators only; an identical document publishes nothing new)."""
    policy = GatePolicy.objects.select_for_update().filter(key=key).first()
    require_admin(actor, "import gate policies")
    if policy is None:
        raise ValidationError({"key": f"No gate policy {key!r}."})
    if document.get("key", key) != key:
        raise ValidationError({"key": f"The document is for {document['key']!r}, not {key!r}."})
    clean = _clean(document, policy)
    policy.title = str(document.get("title", policy.title))[:200]
    policy.required_checks = clean["checks"]
    policy.required_card_sections = clean["sections"]
    for flag in ("stale_approvals_on_new_commit", "block_above_components"):
        setattr(policy, flag, document.get(flag, getattr(policy, flag)))
    policy.save()
    policy.waiver_roles.set([clean["roles"][r] for r in document.get("waiver_roles", [])])
    policy.slots.all().delete()
    for slot in clean["slots"]:
        row = GatePolicySlot.objects.create(
            policy=policy, count=slot.get("count", 1), scope=slot.get("scope", SlotScope.ANY)
        )
        row.roles.set([clean["roles"][r] for r in slot.get("roles", [])])
    return policy_publish(policy=policy, actor=actor)


def policy_versions_diff(older: dict[str, Any], newer: dict[str, Any]) -> list[dict[str, Any]]:
    """The fields that differ between two snapshots, with both values."""
    return [
        {"field": k, "before": older.get(k), "after": newer.get(k)}
        for k in FIELDS
        if older.get(k) != newer.get(k)
    ]
