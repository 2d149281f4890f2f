"""card_update: editing the living MLTRL card through the service, on the record."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.models import AuditEvent, MLTRLCard
from projects.services import card_update


def _card_events(project):
    return list(AuditEvent.objects.filter(project=project, kind="card.updated"))


def test_an_edit_is_saved_and_audited_with_the_fields_it_changed(org):
    card_update(project=org.project, actor=org.researcher, tldr="Spot defects.", pitch="")
    assert MLTRLCard.objects.get(project=org.project).tldr == "Spot defects."
    (event,) = _card_events(org.project)
    assert event.payload == {"fields": ["tldr"]}  # pitch was already empty
    assert event.actor_id == org.researcher.pk


def test_an_unchanged_edit_writes_nothing(org):
    card_update(project=org.project, actor=org.researcher, tldr="")
    assert _card_events(org.project) == []


def test_refusals_write_nothing(org):
    with pytest.raises(PermissionDenied):
        card_update(project=org.project, actor=org.outsider, tldr="x")
    with pytest.raises(PermissionDenied):  # reviewers sign off; they do not edit the card
        card_update(project=org.project, actor=org.prod, tldr="x")
    with pytest.raises(ValidationError, match="do not exist: level"):
        card_update(project=org.project, actor=org.researcher, level="9")
    with pytest.raises(ValidationError, match="project_page"):
        card_update(project=org.project, actor=org.researcher, project_page="not a url")
    assert MLTRLCard.objects.get(project=org.project).tldr == ""
    assert _card_events(org.project) == []
