"""A card edit that writes the last missing section re-evaluates the open request (issue 6).

projects does not import reviews: ``card_update`` sends ``projects.signals.card_changed``
after its commit and ``reviews/receivers.py`` re-evaluates as the worker system actor.
"""

from __future__ import annotations

import pytest

from projects.models import AuditEvent
from projects.services import card_update
from reviews.models import RequestState
from reviews.selectors import request_verdict
from tests.reviews.steps import approve_all, open_advance, pass_checks

pytestmark = pytest.mark.django_db


def test_writing_the_last_missing_card_section_approves_the_request(
    org, django_capture_on_commit_callbacks
):
    request = open_advance(org)
    pass_checks(request)
    approve_all(org, request, ["lead"])
    assert request.state == RequestState.OPEN
    assert request_verdict(request).missing == ("The MLTRL card section 'tldr' is empty.",)

    with django_capture_on_commit_callbacks(execute=True):
        card_update(project=org.project, actor=org.researcher, tldr="Finds defects in photos.")

    request.refresh_from_db()
    assert request.state == RequestState.APPROVED
    org.project.refresh_from_db()
    assert org.project.level == 1
    approved = AuditEvent.objects.filter(project=org.project, kind="request.approve").get()
    assert approved.actor.username == "system:worker"


def test_a_card_edit_that_leaves_the_gate_short_keeps_the_request_open(
    org, django_capture_on_commit_callbacks
):
    request = open_advance(org)
    pass_checks(request)  # no sign-off yet
    with django_capture_on_commit_callbacks(execute=True):
        card_update(project=org.project, actor=org.researcher, tldr="Finds defects in photos.")
    request.refresh_from_db()
    assert request.state == RequestState.OPEN
