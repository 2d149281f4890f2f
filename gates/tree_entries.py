"""The entries of a commit's tree, and the paths that changed between two trees.

``TreeEntry`` records, for the check that is running, which blobs it looked at
(``gates.observed``), so ``gates.check_memo`` can tell when its output still
holds. ``ChangedPaths`` is what ``Mirror.changed_paths`` reads from ``git
diff-tree --raw``: enough to patch a stored listing (``gates.listing``) and to
scan only what changed (``gates.checks.secret_scan``).
"""

from __future__ import annotations

from .observed import note_blob


class ChangedPaths(set):
    """Changed paths (a set), each one's mode in the older tree (``old_modes``;
    "000000": absent) and its (mode, SHA) in the newer one (``new``)."""

    def __init__(self, *args):
        super().__init__(*args)
        self.old_modes: dict[str, str] = {}
        self.new: dict[str, tuple[str, str]] = {}


class TreeEntry:
    """One entry of a commit's tree. Reading ``sha`` or ``size`` records that the
    running check depends on this blob (see ``gates.observed``)."""

    __slots__ = ("_sha", "_size", "mode", "path")

    def __init__(self, path: str, mode: str, sha: str, size: int | None):
        self.path = path  # decoded with surrogateescape; non-UTF-8 names survive
        self.mode = mode
        self._sha = sha
        self._size = size  # None: the blob was not downloaded (over the blob cap)

    @property
    def sha(self) -> str:
        note_blob(self.path)
        return self._sha

    @property
    def size(self) -> int | None:
        note_blob(self.path)
        return self._size

    @property
    def is_file(self) -> bool:
        return self.mode in ("100644", "100755")

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_submodule(self) -> bool:
        return self.mode == "160000"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TreeEntry):
            return NotImplemented
        return (self.path, self.mode, self._sha, self._size) == (
            other.path,
            other.mode,
            other._sha,
            other._size,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.mode, self._sha))

    def __repr__(self) -> str:
        return f"TreeEntry({self.path!r}, {self.mode!r}, {self._sha!r}, {self._size!r})"
