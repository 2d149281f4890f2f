"""One ``cat-file --batch`` per open snapshot: answers never mix, nothing is left running."""

from __future__ import annotations

from tests.hostile_servers import child_pids

FILES = {f"docs/page_{n}.md": f"# Page {n}\n\n" + "text " * n + "\n" for n in range(6)}


def test_reads_inside_a_stream_and_a_stream_left_early_get_the_right_blobs(repo_factory):
    snapshot = repo_factory(FILES)
    before = child_pids()
    paths = sorted(FILES)
    with snapshot:
        seen = []
        for path, text in snapshot.iter_texts(paths):
            # A read while the stream holds the process: answered apart, in order.
            assert snapshot.read_text("docs/page_5.md") == FILES["docs/page_5.md"]
            # A nested stream gets a reader of its own.
            inner = dict(snapshot.iter_texts(["docs/page_1.md", "docs/page_2.md"]))
            assert inner == {p: FILES[p] for p in ("docs/page_1.md", "docs/page_2.md")}
            seen.append((path, text))
        assert seen == [(p, FILES[p]) for p in paths]
        for _path, _text in snapshot.iter_texts(paths):
            break  # left early: the unread answers must not reach the next read
        assert snapshot.read_text("docs/page_3.md") == FILES["docs/page_3.md"]
        assert [p for p, _ in snapshot.iter_texts(paths[:2])] == paths[:2]
        assert len(child_pids() - before) <= 1  # at most the snapshot's one reader
    assert child_pids() <= before  # the block's end ended it


def test_outside_an_open_block_every_read_has_a_process_of_its_own(repo_factory):
    snapshot = repo_factory(FILES)
    before = child_pids()
    assert snapshot.read_text("docs/page_4.md") == FILES["docs/page_4.md"]
    assert dict(snapshot.iter_texts(["docs/page_0.md"])) == {
        "docs/page_0.md": FILES["docs/page_0.md"]
    }
    assert child_pids() <= before
