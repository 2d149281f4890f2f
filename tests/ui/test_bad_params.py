"""Malformed query parameters on the HTML pages: a 400 with a sentence, or the bad
value dropped where the page says so; never a 500.

"²" passes ``str.isdigit()`` but not ``int()``; a twenty-digit number passes
``int()`` but not SQLite; 9999-12-31 is a date without a next day.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

UNICODE_DIGITS = ["\u00b2", "\u0663", "\uff13"]  # superscript 2, Arabic-Indic 3, fullwidth 3
HUGE = ["99999999999999999999999", "9223372036854775808"]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def owner(ui, client):
    client.force_login(ui.org.researcher)
    return client


@pytest.mark.parametrize("level", [*UNICODE_DIGITS, *HUGE, "-1", "10", " "])
def test_project_list_drops_a_bad_level(ui, owner, level):
    response = owner.get(reverse("projects:list"), {"level": level})
    assert response.status_code == 200
    assert "Vision model" in text(response)  # the filter was dropped, not applied


@pytest.mark.parametrize("bad", [*UNICODE_DIGITS, *HUGE, "0", "-1"])
def test_card_compare_with_a_bad_number_is_a_400_form_error(ui, owner, bad):
    url = reverse("projects:card_compare", args=["vision"])
    for query in ({"from": 1, "to": bad}, {"from": bad, "to": 1}):
        response = owner.get(url, query)
        assert response.status_code == 400, query
        assert "Choose two versions to compare." in text(response)


@pytest.mark.parametrize("name", ["projects:card_export_md", "projects:card_export_json"])
@pytest.mark.parametrize("bad", [*UNICODE_DIGITS, *HUGE, "0", "x"])
def test_card_export_with_a_bad_version_is_a_400_saying_so(ui, owner, name, bad):
    response = owner.get(reverse(name, args=["vision"]), {"version": bad})
    assert response.status_code == 400
    assert "The version must be the number of a card version" in text(response)


@pytest.mark.parametrize(("day", "level"), [("9999-12-31", "level 4"), ("0001-01-01", None)])
def test_level_on_the_first_and_last_dates_answers(ui, owner, day, level):
    response = owner.get(reverse("projects:detail", args=["vision"]), {"on": day})
    assert response.status_code == 200
    if level:
        assert f"the project was at <strong>{level}</strong>" in text(response)
    else:
        assert "not registered yet" in text(response)


@pytest.mark.parametrize("day", ["\uff12\uff10\uff12\uff16-01-01", "99999-01-01", "2026-02-30"])
def test_level_on_a_malformed_date_says_how_to_write_it(ui, owner, day):
    response = owner.get(reverse("projects:detail", args=["vision"]), {"on": day})
    assert response.status_code == 200
    assert "Enter a date as YYYY-MM-DD" in text(response)


@pytest.mark.parametrize("page", [*UNICODE_DIGITS, *HUGE])
def test_request_list_reads_a_bad_page_as_a_page_it_has(ui, owner, page):
    assert owner.get(reverse("reviews:list"), {"page": page}).status_code == 200


@pytest.mark.parametrize("level", [*UNICODE_DIGITS, *HUGE])
def test_requests_fragment_ignores_a_bad_level(ui, owner, level):
    response = owner.get(reverse("reviews:project_requests", args=["vision"]), {"level": level})
    assert response.status_code == 200
