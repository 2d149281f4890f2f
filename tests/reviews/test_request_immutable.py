"""The requester and project of a request cannot change, even by raw SQL (issue 6).

The trigger of migration reviews/0003 exists on SQLite and PostgreSQL; this file
runs on whichever database the suite uses (CI runs both).
"""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from projects.services import project_create
from reviews.models import LevelChangeRequest, RequestState
from tests.org import admin_actor
from tests.reviews.steps import open_advance

pytestmark = pytest.mark.django_db

REFUSED = "the requester and project of a request cannot change"


def _raw_update(request_id: int, column: str, value: int) -> None:
    table = LevelChangeRequest._meta.db_table
    with connection.cursor() as cursor:
        sql = f"UPDATE {table} SET {column} = %s WHERE id = %s"  # noqa: S608 (fixed names)
        cursor.execute(sql, [value, request_id])


def test_raw_update_of_the_requester_is_refused(org):
    """Moving the request to someone who already approved it would defeat the self-sign-off rule."""
    request = open_advance(org)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        _raw_update(request.pk, "requester_id", org.lead.pk)
    request.refresh_from_db()
    assert request.requester_id == org.researcher.pk


def test_raw_update_of_the_project_is_refused(org):
    request = open_advance(org)
    other = project_create(
        team=org.teams["research"], slug="other", name="Other", actor=admin_actor()
    )
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        _raw_update(request.pk, "project_id", other.pk)
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        LevelChangeRequest.objects.filter(pk=request.pk).update(project=other)
    request.refresh_from_db()
    assert request.project_id == org.project.pk


def test_other_columns_and_full_saves_still_work(org):
    request = open_advance(org)
    request.reason = "Clarified."
    request.save()  # rewrites requester_id and project_id with their own values
    LevelChangeRequest.objects.filter(pk=request.pk).update(state=RequestState.WITHDRAWN)
    request.refresh_from_db()
    assert (request.reason, request.state) == ("Clarified.", RequestState.WITHDRAWN)
