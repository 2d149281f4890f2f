"""The batched gate facts of list pages decide exactly like the one-request path."""

from __future__ import annotations

from projects import services as project_services
from reviews.evaluation import gate_evaluate
from reviews.models import LevelChangeRequest
from reviews.selectors import request_gate_facts
from reviews.selectors_batch import gate_facts_many
from tests.org import admin_actor

from . import builders


def test_batched_facts_equal_single_request_facts(ui):
    org = ui.org
    # vision 4 -> 5: two approvals, one stale after a new commit, a failing check, a waiver
    builders.fill_card(ui.vision, ["tldr"])
    builders.pass_checks(ui.request, except_=("licence", "datasheet"))
    builders.waive(org, ui.vision, "licence", "lead", "Booked.")
    builders.sign(org, ui.request, "lead")
    builders.sign(org, ui.request, "ethicist", "request_changes", tasks=["Add a datasheet."])
    # a second project: 0 -> 1, no run at all, a component below the target
    other = builders.new_project(org, "speech")
    requests = [ui.request, builders.open_advance(org, other, commit_sha="")]
    # a third: checks all pass, approved by nobody yet
    third = builders.new_project(org, "ranker")
    project_services.project_update(
        project=third, components=[other, ui.vision], actor=admin_actor()
    )
    requests.append(builders.open_advance(org, third))
    builders.pass_checks(requests[-1])
    loaded = list(
        LevelChangeRequest.objects.filter(pk__in=[r.pk for r in requests]).select_related("project")
    )
    batched = gate_facts_many(loaded)
    for request in loaded:
        single = request_gate_facts(request)
        assert batched[request.pk] == single, request
        assert gate_evaluate(batched[request.pk]) == gate_evaluate(single)
    assert batched[requests[-1].pk].components_below == [("speech", 0)]
    assert gate_facts_many([]) == {}
