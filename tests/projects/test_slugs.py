"""Reserved project slugs are read from the routes, so a new page under /projects/ is
reserved without editing a list."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import override_settings
from django.urls import include, path

from projects.slugs import SLUG_SHAPE_PROBLEM, project_slug_problem, reserved_project_slugs


def _page(request, **kwargs):
    return HttpResponse("")


urlpatterns = [
    path("", include("mltrl_site.urls")),
    path("projects/archive/", _page),
    path("projects/<int:pk>/", _page),  # a converter, not a word: reserves nothing
    path("teams/roles/", _page),  # not under a projects prefix
    path("api/v2/projects/export/", _page),
    path("api/v2/projects/<slug:slug>/", _page),
]


def test_the_site_reserves_the_new_project_page():
    assert reserved_project_slugs() == frozenset({"new"})
    assert "reserved" in project_slug_problem("new")
    assert project_slug_problem("newt") is None and project_slug_problem("vision") is None


@override_settings(ROOT_URLCONF=__name__)
def test_every_fixed_word_beside_a_project_slug_is_reserved():
    assert reserved_project_slugs() == frozenset({"new", "archive", "export"})


def test_a_project_slug_is_lowercase_letters_digits_and_hyphens_only():
    for bad in ["Vision", "vision_model", "vision model", "", "visión", "NEW"]:
        assert project_slug_problem(bad) == SLUG_SHAPE_PROBLEM, bad
    assert project_slug_problem("vision-2") is None
