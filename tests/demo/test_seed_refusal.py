"""``seed_demo`` refuses a database that has the demo's names but is not the demo."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.models import Project
from tests.org import build_org

pytestmark = pytest.mark.django_db


def test_refuses_a_database_with_other_teams_of_the_same_name():
    build_org()  # has a "research" team, but is not the demo
    with pytest.raises(CommandError, match="team research"):
        call_command("seed_demo")
    assert not Project.objects.filter(slug="defect-vision").exists()
