"""Log noise: a refused or missing admin page is one line in the log, no traceback,
and a server error keeps its traceback (settings.LOGGING as ``make run`` uses it)."""

from __future__ import annotations

import logging
import sys
from contextlib import redirect_stderr
from io import StringIO

import pytest
from django.utils.log import configure_logging

from tests.admin.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines(settings):
    """Apply the project's logging (after Django's defaults, as start-up does) with
    the console handlers writing into a buffer; restore the real stream after."""
    settings.DEBUG = True  # make run: Django's own console handler is active too
    buffer = StringIO()
    with redirect_stderr(buffer):
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    yield lambda: buffer.getvalue().splitlines()
    with redirect_stderr(sys.stderr):
        configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)


def test_admin_403_and_404_are_one_line_each(org, log_lines):
    staff = org.outsider
    staff.is_staff = True
    staff.save()
    client = logged_in(staff)
    assert client.get("/admin/projects/rolegrant/add/").status_code == 403
    assert client.get("/no-such-page/").status_code == 404
    assert log_lines() == [
        "Forbidden (Permission denied): /admin/projects/rolegrant/add/",
        "Not Found: /no-such-page/",
    ]


def test_a_server_error_keeps_its_traceback(log_lines):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("django.request").error(
            "Internal Server Error: /x/", exc_info=True, extra={"status_code": 500}
        )
    lines = log_lines()
    assert lines[0] == "Internal Server Error: /x/"
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: boom"
    assert lines.count("Internal Server Error: /x/") == 1
