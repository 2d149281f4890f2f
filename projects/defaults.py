"""The default review-role catalog (docs/workflow.md, "Signing off"), installed when missing."""

from __future__ import annotations

DEFAULT_ROLES: tuple[tuple[str, str, str], ...] = (
    ("research-lead", "Research lead", "Leads the research; owns early gates."),
    ("research-peer", "Research peer", "Peer researcher reviewing experiments and claims."),
    ("engineering", "Engineering", "Reviews code quality, tests, interfaces and integration."),
    ("product", "Product", "Owns product requirements and use-case validation."),
    ("ethics", "Ethics", "Walks the AI-ethics checklist."),
    ("operations", "Operations", "Owns deployment, monitoring, runbooks and fallbacks."),
)


def roles_install(role_model) -> int:
    """Create the default roles that do not exist yet; never overwrite edits."""
    created = 0
    for key, name, description in DEFAULT_ROLES:
        _, was_created = role_model.objects.get_or_create(
            key=key, defaults={"name": name, "description": description}
        )
        created += was_created
    return created
