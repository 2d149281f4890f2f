"""no_secrets: credentials committed in the tree of the pinned commit.

``git grep`` (C, threaded, no checkout) picks the candidate lines of every
regular text file up to ``SCAN_CAP_BYTES`` (20 MB; blobs over the server's
fetch cap are never downloaded) with ``PREFILTER``, a superset of what the
rules find; the rules then run on those lines only. git reads each file as a
stream, so a large file costs no more memory than a small one. In notebooks
and other text, embedded images (``"image/png": "<base64>"`` output lines,
``data:image/...;base64,`` URIs) are skipped: code cells and outputs' text
are scanned. Files with a binary extension or binary content are skipped;
.env, .netrc and kaggle.json files, and files with a private-key header, are
read whole. The result names every text file it did not scan and why (over
the fetch cap, over the scan cap). The rules are in
``gates.checks.secret_rules``. Found:

- private keys: a ``-----BEGIN ... PRIVATE KEY-----`` block with key material
  after it (a header alone, as in docs, is not a finding); files named
  id_rsa, id_dsa, id_ecdsa, id_ed25519;
- AWS access key ids (AKIA/ASIA + 16) and ``aws...secret... = <40 chars>``;
- GitHub, GitLab, Slack (tokens and webhooks), Google API keys, Stripe live
  keys; Hugging Face, Weights & Biases, OpenAI, Anthropic, Replicate and
  Kaggle keys, Google service-account key ids;
- ``password|secret|token|api_key|... = "<literal>"`` (also ``:`` and JSON,
  escaped quotes in notebooks): a quoted literal of 8+ characters without
  spaces that is not a placeholder (changeme, xxx, your..., example,
  <...>, ${...}, {{...}}, $VAR, a path, a bare lower- or upper-case word);
- .env files (not .env.example/.sample/.template/.dist/.defaults) giving a
  non-placeholder value to a key that looks secret (PASSWORD, SECRET, TOKEN,
  KEY, CREDENTIAL, AUTH, PWD); ``.netrc`` passwords.

A warm run patches the previous run's per-path state with the paths git
reports changed (``_scan_state``; docs/checks.md): only added or modified
files are scanned again. Without those paths every file is.

A line carrying ``mltrl: allow-secret`` (or ``gitleaks:allow``) is skipped.
Evidence holds path, line and kind, and a masked hint: at most the public
prefix of a token (``ghp_…``), never the secret.
"""

from __future__ import annotations

import re

from ..observed import note_all_content
from .base import CheckContext, CheckOutput, failed, passed, warned
from .common import EVIDENCE_CAP, basename, capped, check, plural, suffix
from .secret_rules import (
    BINARY_EXTENSIONS,
    KEY_FILES,
    NETRC_NAMES,
    PREFILTER,
    WHOLE_FILES,
    is_env_file,
    scan_env,
    scan_netrc,
    scan_text,
)

SCAN_CAP_BYTES = 20_000_000
# Embedded images: a notebook output line '"image/png": "iVBOR...",' and data URIs.
IMAGE_OUTPUT = re.compile(r'^\s*"image/[\w.+-]+"\s*:')
DATA_URI = re.compile(r"data:image/[\w.+-]+;base64,[A-Za-z0-9+/=]+")
NOT_SCANNED_SHOWN = 10


def _read_whole(name: str) -> bool:
    return is_env_file(name) or name.lower() in WHOLE_FILES


def _scan_line(path: str, number: int, line: str) -> list[dict]:
    if IMAGE_OUTPUT.match(line):
        return []
    if "base64," in line:
        line = DATA_URI.sub("", line)
    return scan_text(path, line, first_line=number)


def _scan_whole(path: str, text: str) -> list[dict]:
    name = basename(path)
    text = DATA_URI.sub("", text) if "base64," in text else text
    found = scan_text(path, text)
    if is_env_file(name):
        found.extend(scan_env(path, text))
    if name.lower() in NETRC_NAMES:
        found.extend(scan_netrc(path, text))
    return found


FILE_MODES = ("100644", "100755")
STATE_KEY = "no_secrets"


def _classify(path: str, entry) -> tuple[str, object]:
    """What the scan does with one regular file: ("key", finding), ("binary", None),
    ("not_scanned", reason), ("empty", None) or ("scan", None)."""
    name = basename(path)
    if name in KEY_FILES:
        finding = {
            "path": path,
            "line": None,
            "kind": "ssh_private_key_file",
            "label": "SSH private key file",
            "masked": "********",
        }
        return "key", finding
    if suffix(name) in BINARY_EXTENSIONS:
        return "binary", None
    size = entry.size  # once: each read notes the blob (gates.observed)
    if size is None:
        return "not_scanned", "over the fetch cap, never downloaded"
    if size > SCAN_CAP_BYTES:
        return "not_scanned", f"over the scan cap of {SCAN_CAP_BYTES:,} bytes"
    return ("scan", None) if size > 0 else ("empty", None)


def _scan_paths(ctx: CheckContext, paths: set[str]) -> dict[str, list[dict] | None]:
    """Findings per path, None for none (facts: a blob scanned before is not
    scanned again; stores written before hold [] for none, which reads the same)."""

    def compute(missing: list[str]) -> dict[str, list[dict] | None]:
        found: dict[str, list[dict]] = {p: [] for p in missing}
        whole = {p for p in missing if _read_whole(basename(p))}
        # Few changed files: grep just those; many: grep the tree and keep ours.
        pathspecs = [f":(literal){p}" for p in missing] if len(missing) <= 500 else []
        for path, number, line in ctx.snapshot.grep(PREFILTER, pathspecs=pathspecs):
            if path not in found or path in whole:
                continue
            if "private key" in line.lower() and not IMAGE_OUTPUT.match(line):
                whole.add(path)  # the key material is on the lines after the header
                continue
            found[path].extend(_scan_line(path, number, line))
        for path, text in ctx.snapshot.iter_texts(sorted(whole), limit=SCAN_CAP_BYTES):
            found[path] = _scan_whole(path, text)
        # None, not [], for a clean file: thousands fewer objects when the store is
        # loaded (each list is one more object for the garbage collector to walk).
        return {path: findings or None for path, findings in found.items()}

    return ctx.batch_facts("secrets:v2", paths, compute) if paths else {}


def _scan_state(ctx: CheckContext) -> dict:
    """Per-path results: {"findings": {path: [...]}, "not_scanned": {path: reason},
    "empty": [paths], "scanned": n}.

    Incremental when the run knows the paths changed since the commit the stored
    state is true of: only added or modified files are scanned, removed ones drop
    out, every other path keeps its stored findings. Otherwise every file.
    """
    files = ctx.files()
    previous = ctx.store.previous_state(STATE_KEY) if ctx.changes is not None else None
    if previous is None:
        state: dict = {"findings": {}, "not_scanned": {}, "empty": [], "scanned": 0}
        paths = files.keys()
    else:
        note_all_content()  # the result still depends on every file, as a full scan
        state = {
            "findings": dict(previous["findings"]),
            "not_scanned": dict(previous["not_scanned"]),
            "empty": set(previous["empty"]),
            "scanned": previous["scanned"],
        }
        for path in ctx.changes:  # undo each changed path's old contribution
            name = basename(path)
            if (
                ctx.changes.old_modes.get(path) in FILE_MODES
                and name not in KEY_FILES
                and suffix(name) not in BINARY_EXTENSIONS
                and path not in state["empty"]
                and path not in state["not_scanned"]
            ):
                state["scanned"] -= 1
            state["findings"].pop(path, None)
            state["not_scanned"].pop(path, None)
            state["empty"].discard(path)
        paths = [p for p in ctx.changes if p in files]
        state["empty"] = list(state["empty"])
    to_scan = set()
    for path in paths:
        kind, detail = _classify(path, files[path])
        if kind == "key":
            state["findings"][path] = [detail]
        elif kind == "not_scanned":
            state["not_scanned"][path] = detail
        elif kind == "empty":
            state["empty"].append(path)
        elif kind == "scan":
            to_scan.add(path)
    for path, found in _scan_paths(ctx, to_scan).items():
        if found:
            state["findings"][path] = found
    state["scanned"] += len(to_scan)
    state["empty"].sort()
    return state


@check("no_secrets", "No committed secrets", level=3)
def no_secrets(ctx: CheckContext) -> CheckOutput:
    """No credentials (keys, tokens, passwords) are committed in the repository."""
    state = _scan_state(ctx)
    ctx.store.keep_state(STATE_KEY, state)
    findings = [f for found in state["findings"].values() for f in found]
    not_scanned = [{"path": p, "reason": r} for p, r in state["not_scanned"].items()]
    scanned = state["scanned"]
    # One finding per line: the specific rule wins over the generic assignment rule.
    findings = list({(f["path"], f["line"]): f for f in reversed(findings)}.values())
    findings.sort(key=lambda f: (f["path"], f["line"] or 0))
    not_scanned.sort(key=lambda f: f["path"])
    evidence = {
        "files_scanned": scanned,
        "findings": capped(findings),
        "count": len(findings),
        "scan_cap_bytes": SCAN_CAP_BYTES,
        "not_scanned": capped(not_scanned, EVIDENCE_CAP),
        "not_scanned_count": len(not_scanned),
    }
    skipped = ""
    if not_scanned:
        shown = "; ".join(f"{f['path']} ({f['reason']})" for f in not_scanned[:NOT_SCANNED_SHOWN])
        more = len(not_scanned) - NOT_SCANNED_SHOWN
        skipped = (
            f" {plural(len(not_scanned), 'text file')} not scanned: {shown}"
            + (f"; {more} more" if more > 0 else "")
            + "."
        )
    if not findings:
        message = f"No secrets found in {plural(scanned, 'scanned file')}.{skipped}"
        if not_scanned:
            return warned(
                message,
                "Files too large to scan may hold secrets: keep data and outputs out of git "
                "(git LFS, DVC or object storage), or split the file.",
                **evidence,
            )
        return passed(message, **evidence)
    first = findings[0]
    where = first["path"] + (f":{first['line']}" if first["line"] else "")
    return failed(
        f"{plural(len(findings), 'possible secret')} committed (first: {first['label']} "
        f"in {where}).{skipped}",
        "Remove the secrets from the repository and its history (git filter-repo), rotate "
        "them now, and load them from the environment or a secret manager. If a finding is "
        "not a secret, add the comment 'mltrl: allow-secret' on that line.",
        **evidence,
    )
