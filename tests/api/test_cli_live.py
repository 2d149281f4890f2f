"""The ``mltrl`` client against a live server: evidence, request, gate exit codes.

Runs ``python -m mltrl_cli`` (what the ``mltrl`` console script calls) in a
subprocess with only ``MLTRL_URL`` and ``MLTRL_TOKEN``, as a pipeline would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from gates.models import ExternalCheckResult
from gates.services import check_run_record_completed
from projects.actors import system_actor
from reviews import services
from reviews.models import LevelChangeRequest
from tests.api.conftest import token_client
from tests.reviews.steps import fill_card

REPO = Path(__file__).resolve().parents[2]
SHA = "f" * 40


def mltrl(*args: str, url: str, token: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "MLTRL_URL": url, "MLTRL_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "mltrl_cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def token(org, transactional_db):
    return token_client(org.researcher).token_text


def test_pipeline_posts_evidence_opens_a_request_and_gates_the_deploy(live_server, org, token):
    url = live_server.url
    gate = ("gate", "--project", "vision", "--level", "1", "--commit", SHA)

    before = mltrl(*gate, url=url, token=token)
    assert before.returncode == 1, before.stderr
    assert "Refused: vision at level 1" in before.stdout
    assert "granted level 0" in before.stdout
    assert "No result for check readme_purpose" in before.stdout

    post = [
        *("evidence", "post", "--project", "vision", "--commit", SHA),
        *("--check", "golden_eval", "--status", "pass", "--metric", "f1=0.91"),
        *("--idempotency-key", "job-1-golden"),
    ]
    assert mltrl(*post, url=url, token=token).returncode == 0
    assert mltrl(*post, url=url, token=token).returncode == 0  # a retried job: replayed
    assert ExternalCheckResult.objects.count() == 1
    # CI cannot speak for a check mltrl computes from the repository.
    readme = [*post[:6], *("--check", "readme_purpose", "--status", "pass")]
    refused = mltrl(*readme, url=url, token=token)
    assert refused.returncode == 2 and "computed by mltrl" in refused.stderr
    # The worker's run on the commit passes it.
    check_run_record_completed(
        project=org.project,
        commit_sha=SHA,
        results=[{"check_key": "readme_purpose", "outcome": "pass", "message": "README"}],
        actor=system_actor("worker"),
    )

    opened = mltrl(
        *("request", "open", "--project", "vision", "--to-level", "1", "--commit", SHA),
        url=url,
        token=token,
    )
    assert opened.returncode == 0, opened.stderr
    assert "Needs 1 more approval from research-lead." in opened.stdout
    still = mltrl(*gate, url=url, token=token)
    assert still.returncode == 1 and "granted level 0" in still.stdout

    request = LevelChangeRequest.objects.get()
    fill_card(org.project)
    services.signoff_record(level_request=request, actor=org.lead, decision="approve")
    request.refresh_from_db()
    assert request.state == "approved"

    after = mltrl(*gate, url=url, token=token)
    assert after.returncode == 0, after.stdout + after.stderr
    assert "Allowed: vision at level 1" in after.stdout


def test_errors_exit_2_with_a_message(live_server, org, token):
    url = live_server.url
    gate = ("gate", "--project", "vision", "--level", "1", "--commit", SHA)
    bad_token = mltrl(*gate, url=url, token="mltrl_00000000_" + "x" * 43)
    assert bad_token.returncode == 2
    assert "HTTP 401" in bad_token.stderr
    unknown = mltrl(
        "gate", "--project", "nope", "--level", "1", "--commit", SHA, url=url, token=token
    )
    assert unknown.returncode == 2 and "HTTP 404" in unknown.stderr
    bad_sha = mltrl(
        "gate", "--project", "vision", "--level", "1", "--commit", "xyz", url=url, token=token
    )
    assert bad_sha.returncode == 2 and "commit" in bad_sha.stderr
    assert mltrl("gate", "--project", "vision", url=url, token=token).returncode == 2
    assert mltrl(*gate, url="", token=token).returncode == 2
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = mltrl(*gate, url=f"http://127.0.0.1:{port}", token=token)
    assert down.returncode == 2 and "Cannot reach" in down.stderr


def test_the_console_script_is_declared():
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["mltrl"] == "mltrl_cli.main:main"
    assert "mltrl_cli" in project["tool"]["setuptools"]["packages"]
