"""Per-blob facts: a warm run reads only changed blobs and gives the same results."""

from __future__ import annotations

from gates.checks.base import CheckContext, repository_checks
from gates.checks.config import MltrlConfig
from gates.checks.facts import FactStore
from gates.checks.facts_file import journal_path

FILES = {
    "README.md": "# Demo\n\n## Purpose\n\nRank support tickets by urgency for the on-call team.\n",
    "src/model.py": "import logging\nlog = logging.getLogger('predictions')\n",
    "tests/test_model.py": "def test_one():\n    pass\n\ndef test_two():\n    pass\n",
    "tests/integration/test_api.py": "def test_end_to_end():\n    pass\n",
    "config/settings.py": 'API_KEY = "Zx81kQ0pLm22Vb7"\n',
    **{f"pkg/module_{n}.py": f"VALUE = {n}\n" for n in range(40)},
}


def _outputs(context: CheckContext) -> dict:
    return {c.key: c.run(context) for c in repository_checks()}


def test_warm_run_reads_only_changed_blobs_and_matches_a_fresh_run(repo_factory, tmp_path):
    repo = repo_factory.repo(FILES)
    store = FactStore()
    _outputs(CheckContext(repo_factory.snapshot(repo), MltrlConfig(), store))
    assert store.misses > 40 and store.hits == 0
    path = tmp_path / "facts.json"
    store.save(path)

    repo_factory.commit(
        repo,
        {
            "tests/test_model.py": FILES["tests/test_model.py"] + "\ndef test_three():\n    pass\n",
            "config/settings.py": "API_KEY = None\n",
        },
    )
    snapshot = repo_factory.snapshot(repo)
    warm_store = FactStore.load(path)
    warm = _outputs(CheckContext(snapshot, MltrlConfig(), warm_store))
    # Only the two changed files are read again: by the test counter (the test file,
    # shared by tests_present and integration_tests), the secret scan and the
    # prediction-logging scan (both files).
    assert warm_store.misses == 5
    assert warm_store.hits > 40
    fresh = _outputs(CheckContext(snapshot, MltrlConfig(), FactStore()))
    assert warm == fresh
    assert warm["tests_present"].evidence["test_functions"] == 4
    assert warm["no_secrets"].outcome == "pass"
    assert fresh["no_secrets"].outcome == "pass"


def test_a_secret_added_later_is_found_on_the_warm_run(repo_factory, tmp_path):
    repo = repo_factory.repo(FILES | {"config/settings.py": "API_KEY = None\n"})
    store = FactStore()
    first = _outputs(CheckContext(repo_factory.snapshot(repo), MltrlConfig(), store))
    assert first["no_secrets"].outcome == "pass"
    store.save(tmp_path / "facts.json")
    repo_factory.commit(repo, {"config/settings.py": 'API_KEY = "Zx81kQ0pLm22Vb7"\n'})
    warm_store = FactStore.load(tmp_path / "facts.json")
    warm = _outputs(CheckContext(repo_factory.snapshot(repo), MltrlConfig(), warm_store))
    assert warm["no_secrets"].outcome == "fail"
    finding = warm["no_secrets"].evidence["findings"][0]
    assert (finding["path"], finding["line"]) == ("config/settings.py", 1)
    assert "Zx81kQ0pLm22Vb7" not in str(warm["no_secrets"])


def test_store_keeps_only_what_the_last_run_used(tmp_path):
    store = FactStore()
    store.facts("x:v1", [("a.py", "1" * 40), ("b.py", "2" * 40)], lambda ps: dict.fromkeys(ps, 7))
    store.save(tmp_path / "f.json")
    second = FactStore.load(tmp_path / "f.json")
    got = second.facts("x:v1", [("a.py", "1" * 40)], lambda ps: dict.fromkeys(ps, 0))
    assert got == {"a.py": 7} and second.hits == 1 and second.misses == 0
    second.save(tmp_path / "f.json")
    third = FactStore.load(tmp_path / "f.json")
    third.facts("x:v1", [("b.py", "2" * 40)], lambda ps: dict.fromkeys(ps, 0))
    assert third.misses == 1  # b.py was not used by the second run, so it was dropped


def test_unreadable_or_foreign_store_is_ignored(tmp_path):
    path = tmp_path / "f.json"
    path.write_text("{not json")
    assert FactStore.load(path).facts("x:v1", [("a", "1" * 40)], lambda ps: {"a": 1}) == {"a": 1}
    path.write_text('{"format": 999, "facts": {"x:v1": {}}}')
    assert FactStore.load(path)._data == {}
    assert FactStore.load(tmp_path / "missing.json")._data == {}


def _stored(path) -> dict:
    """The facts a later run would find at ``path`` (the full file and its journal)."""
    return FactStore.load(path)._data


def test_store_over_its_cap_keeps_this_runs_facts_then_nothing(tmp_path):
    path = tmp_path / "f.json"
    old = FactStore()
    old.facts("x:v1", [(f"old{n}.py", f"{n:040x}") for n in range(50)], lambda ps: {})
    old.save(path)
    still_there = {f"{n:040x}:old{n}.py" for n in range(50)} | {f"{'a' * 40}:a.py"}
    store = FactStore.load(path)
    store.facts("x:v1", [("a.py", "a" * 40)], lambda ps: dict.fromkeys(ps, 1))
    store.save(path, current=still_there)
    assert len(_stored(path)["x:v1"]) == 51
    # A cap the 51 facts cannot meet: only what this run used is kept.
    store = FactStore.load(path)
    store.facts("x:v1", [("a.py", "a" * 40)], lambda ps: dict.fromkeys(ps, 0))
    assert store.save(path, current=still_there, max_bytes=300) <= 300
    assert _stored(path) == {"x:v1": {f"{'a' * 40}:a.py": 1}}
    store = FactStore.load(path)
    store.facts("x:v1", [("a.py", "a" * 40)], lambda ps: dict.fromkeys(ps, 0))
    assert store.save(path, current=still_there, max_bytes=10) == path.stat().st_size
    assert _stored(path) == {}  # even that was too large: an empty cache
    assert not journal_path(path).exists()


def test_checking_an_older_commit_keeps_the_facts_of_the_branch_head(org, settings, tmp_path):
    from gates.engine import check_run_execute
    from gates.git import Mirror
    from gates.runs import check_run_request
    from projects.actors import system_actor
    from projects.services import project_update
    from tests.gitrepo import commit, make_repo
    from tests.gitserver import allow_loopback
    from tests.org import admin_actor

    allow_loopback(settings, mirrors=tmp_path / "mirrors", file_root=tmp_path / "repos")
    repo = make_repo(tmp_path / "repos", FILES)
    old = commit(repo, {"src/extra.py": "X = 1\n"}, "old")
    head = commit(repo, {"src/extra.py": "X = 2\n"}, "head")
    project = project_update(
        project=org.project, repository_url=f"file://{repo}", actor=admin_actor()
    )
    for sha in (head, old):  # the head first, then an older pinned commit
        run = check_run_request(
            project=project, trigger="manual", commit_sha=sha, actor=system_actor("worker")
        )
        check_run_execute(run.pk)
    mirror = Mirror(f"project-{project.pk}", project.repository_url)
    stored = {key for entries in _stored(mirror.facts_path).values() for key in entries}
    reachable = mirror.head_blob_keys() | {
        f"{e._sha}:{p}" for p, e in mirror.snapshot(old).entries().items()
    }
    assert stored <= reachable
    head_extra = next(k for k in mirror.head_blob_keys() if k.endswith(":src/extra.py"))
    assert head_extra in stored  # the head's version survives a run on the older commit
