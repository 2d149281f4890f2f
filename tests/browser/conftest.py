"""Browser fixtures: Debian's chromium driven by Playwright against pytest-django's live server.

Never downloads a browser: the tests drive the ``chromium`` on PATH and skip,
with the reason, when it is absent (``MLTRL_REQUIRE_SERVICES=1`` turns that
skip into a failure, see ``tests/conftest.py``). Screenshots and accessibility
reports are written under ``tmp/test-output/browser`` (``MLTRL_TEST_OUTPUT``
moves the folder).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium).")
    return path


@pytest.fixture(scope="session")
def output_dir() -> Path:
    folder = Path(os.environ.get("MLTRL_TEST_OUTPUT") or BASE_DIR / "tmp" / "test-output")
    folder = folder / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser(chromium_path: str) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the
    # test makes between page actions are still synchronous and safe here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=chromium_path)
        try:
            yield instance
        finally:
            instance.close()
            # Django keeps connections per context (asgiref Local over contextvars),
            # and inside Playwright's sync block (greenlets) the test's ORM calls run
            # in another context than pytest-django's: they open a connection of
            # their own that the test database's teardown never closes, and
            # PostgreSQL then refuses to drop the database ("being accessed by other
            # users"). Close it here, still inside that context.
            connections.close_all()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def axe_check(output_dir: Path):
    """Run axe-core on a page; fail on serious or critical violations (report saved)."""
    axe_module = pytest.importorskip(
        "axe_playwright_python.sync_playwright", reason="axe-playwright-python is not installed"
    )
    axe = axe_module.Axe()

    def check(page, name: str) -> None:
        results = axe.run(page)
        (output_dir / f"axe-{name}.txt").write_text(results.generate_report())
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} - "
            + "; ".join(n["target"][0] for n in v["nodes"][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"axe on {name}: " + " | ".join(bad)

    return check
