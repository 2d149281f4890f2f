"""no_secrets: credentials committed in the tree of the pinned commit.

``git grep`` (C, threaded, no checkout) picks the candidate lines of every
regular text file up to 1 MB with ``PREFILTER``, a superset of what the rules
find; the rules then run on those lines only. Files with a binary extension,
binary content, and blobs over the fetch cap are skipped; .env files and files
with a private-key header are read whole. Each rule first looks for a cheap
lower-case needle, then runs its compiled pattern. Found:

- private keys: a ``-----BEGIN ... PRIVATE KEY-----`` block with key material
  after it (a header alone, as in docs, is not a finding); files named
  id_rsa, id_dsa, id_ecdsa, id_ed25519;
- AWS access key ids (AKIA/ASIA + 16) and ``aws...secret... = <40 chars>``;
- GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), GitLab (glpat-),
  Slack (xoxa-/xoxb-/xoxp-/xoxr-/xoxs-), Google API (AIza...), Stripe live keys;
- ``password|secret|token|api_key|... = "<literal>"`` (also ``:`` and JSON,
  escaped quotes in notebooks): a quoted literal of 8+ characters without
  spaces that is not a placeholder (changeme, xxx, your..., example,
  <...>, ${...}, {{...}}, $VAR, a path, a bare lower- or upper-case word);
- .env files (not .env.example/.sample/.template/.dist/.defaults) giving a
  non-placeholder value to a key that looks secret (PASSWORD, SECRET, TOKEN,
  KEY, CREDENTIAL, AUTH, PWD).

A line carrying ``mltrl: allow-secret`` (or ``gitleaks:allow``) is skipped.
Evidence holds path, line and kind, and a masked hint: at most the public
prefix of a token (``ghp_…``), never the secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .base import CheckContext, CheckOutput, failed, passed
from .common import basename, capped, check, plural, suffix

MAX_SCAN_BYTES = 1_000_000
BINARY_EXTENSIONS = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".bmp",
        ".ico",
        ".webp",
        ".tif",
        ".tiff",
        ".svgz",
        ".pdf",
        ".zip",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".7z",
        ".tar",
        ".whl",
        ".egg",
        ".jar",
        ".class",
        ".pyc",
        ".pyo",
        ".so",
        ".dll",
        ".dylib",
        ".exe",
        ".bin",
        ".pt",
        ".pth",
        ".ckpt",
        ".h5",
        ".hdf5",
        ".pkl",
        ".pickle",
        ".joblib",
        ".npy",
        ".npz",
        ".parquet",
        ".feather",
        ".arrow",
        ".onnx",
        ".tflite",
        ".pb",
        ".safetensors",
        ".tfrecord",
        ".mp3",
        ".mp4",
        ".wav",
        ".avi",
        ".mov",
        ".flac",
        ".ogg",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".db",
        ".sqlite",
        ".lockb",
        ".xlsx",
        ".docx",
        ".pptx",
    ]
)
ALLOW_MARKERS = ("mltrl: allow-secret", "gitleaks:allow")
KEY_FILES = frozenset({"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
ENV_TEMPLATES = frozenset({"example", "sample", "template", "dist", "defaults", "tmpl"})
PLACEHOLDER_WORDS = (
    "changeme",
    "change_me",
    "change-me",
    "xxx",
    "your",
    "example",
    "placeholder",
    "dummy",
    "fake",
    "sample",
    "replace",
    "redacted",
    "insert",
    "<",
    ">",
    "${",
    "{{",
    "%(",
    "$(",
    "***",
    "...",
    "todo",
    "secret",
    "password",
    "token",
    "test",
)


@dataclass(frozen=True)
class Rule:
    kind: str
    label: str
    needles: tuple[str, ...]  # lower-case substrings that must occur before the regex runs
    pattern: re.Pattern[str]
    shown_prefix: int = 0  # characters of the match that are a public prefix (ghp_, AKIA)


RULES = (
    Rule(
        "private_key",
        "private key",
        ("private key",),
        re.compile(r"-----BEGIN[ A-Z0-9]{0,20}PRIVATE KEY(?: BLOCK)?-----"),
    ),
    Rule(
        "aws_access_key_id",
        "AWS access key id",
        ("akia", "asia"),
        re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        4,
    ),
    Rule(
        "aws_secret_access_key",
        "AWS secret access key",
        ("aws",),
        re.compile(
            r"aws[\w.-]{0,20}?secret[\w.-]{0,20}[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})"
            r"(?![A-Za-z0-9/+=])",
            re.I,
        ),
    ),
    Rule(
        "github_token",
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
        4,
    ),
    Rule("gitlab_token", "GitLab token", ("glpat-",), re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), 6),
    Rule("slack_token", "Slack token", ("xox",), re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), 5),
    Rule(
        "google_api_key",
        "Google API key",
        ("aiza",),
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        4,
    ),
    Rule(
        "stripe_live_key",
        "Stripe live key",
        ("_live_",),
        re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}"),
        8,
    ),
)
ASSIGNED = re.compile(
    r"""(password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key
        |secret[_-]?key|client[_-]?secret|auth[_-]?key|encryption[_-]?key|signing[_-]?key
        |credentials?)
        \\?["']?[ \t]*(?::=|=>|=|:)[ \t]*\\?(["'])([^"'\s\\]{8,200})\\?\2""",
    re.I | re.X,
)
ASSIGNED_NEEDLE = re.compile("pass|pwd|secret|token|key|credential")
# Lines git grep hands to the rules: a superset of what any rule can find on a
# line (each rule's needles; a secret-ish name assigned a quoted literal).
PREFILTER = (
    r"(?i)(?:private key|akia|asia|aws[\w.-]{0,20}?secret|gh[pousr]_|github_pat_|glpat-"
    r"|xox[abprs]-|aiza|_live_"
    r"|(?:pass|pwd|secret|token|key|credential)\w*\\?[\"']?[ \t]*(?::=|=>|=|:)[ \t]*\\?[\"'])"
)
NAME_BEFORE = re.compile(r"[\w.-]*$")
ENV_LINE = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*(.*)$", re.M)
ENV_SECRET_KEY = re.compile(r"PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|PWD", re.I)
KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/=]{40}")


def _placeholder(value: str) -> bool:
    lower = value.lower()
    return (
        any(word in lower for word in PLACEHOLDER_WORDS)
        or value.startswith(("$", "%", "/", "~", "./"))
        or len(set(value)) <= 3
    )


def _weak_token(value: str, prefix: int) -> bool:
    """Obvious fake tokens: 'EXAMPLE' in them, or the same few characters repeated."""
    body = value[prefix:]
    return "example" in value.lower() or "xxxx" in value.lower() or len(set(body)) < 6


def _line_of(text: str, pos: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text.count("\n", 0, pos) + 1, text[start : end if end != -1 else len(text)]


def scan_text(path: str, text: str, first_line: int = 1) -> list[dict]:
    """Findings in a file (or in lines of it starting at ``first_line``): path, line,
    kind, label and a masked hint."""
    findings: list[dict] = []
    lower = text.lower()

    def add(pos: int, kind: str, label: str, masked: str, name: str | None = None) -> None:
        number, line = _line_of(text, pos)
        number += first_line - 1
        if any(marker in line for marker in ALLOW_MARKERS):
            return
        finding = {"path": path, "line": number, "kind": kind, "label": label, "masked": masked}
        if name:
            finding["name"] = name
        findings.append(finding)

    for rule in RULES:
        if not any(needle in lower for needle in rule.needles):
            continue
        for m in rule.pattern.finditer(text):
            value = m.group(m.lastindex or 0)
            if rule.kind == "private_key":
                if not KEY_MATERIAL.search(text, m.end(), m.end() + 300):
                    continue
                masked = "-----BEGIN … PRIVATE KEY-----"
            else:
                if _weak_token(value, rule.shown_prefix):
                    continue
                masked = value[: rule.shown_prefix] + "…"
            add(m.start(), rule.kind, rule.label, masked)
    # The generic rule runs only on lines holding a needle and a quote: words like
    # "tokenizer" are everywhere in ML code, and the full pattern is slow.
    searched_until = -1
    for hit in ASSIGNED_NEEDLE.finditer(lower):
        if hit.start() < searched_until:
            continue
        start = text.rfind("\n", 0, hit.start()) + 1
        end = text.find("\n", hit.end())
        end = len(text) if end == -1 else end
        searched_until = end
        if '"' not in text[start:end] and "'" not in text[start:end]:
            continue
        for m in ASSIGNED.finditer(text, start, end):
            value = m.group(3)
            if _placeholder(value) or re.fullmatch(r"[a-z_.-]+|[A-Z_.-]+", value):
                continue
            name = NAME_BEFORE.search(text, max(0, m.start() - 60), m.start()).group(0)
            name += m.group(1)
            add(m.start(), "assigned_secret", "hard-coded secret", "********", name.strip(".-"))
    return findings


def _is_env_file(name: str) -> bool:
    if name == ".env":
        return True
    return name.startswith(".env.") and name[5:].lower() not in ENV_TEMPLATES


def scan_env(path: str, text: str) -> list[dict]:
    findings = []
    for m in ENV_LINE.finditer(text):
        key, value = m.group(1), m.group(2).split(" #", 1)[0].strip().strip("\"'")
        if ENV_SECRET_KEY.search(key) and value and not _placeholder(value):
            number, line = _line_of(text, m.start())
            if not any(marker in line for marker in ALLOW_MARKERS):
                findings.append(
                    {
                        "path": path,
                        "line": number,
                        "kind": "env_file_value",
                        "label": "value in a committed .env file",
                        "masked": "********",
                        "name": key,
                    }
                )
    return findings


@check("no_secrets", "No committed secrets", level=3)
def no_secrets(ctx: CheckContext) -> CheckOutput:
    """No credentials (keys, tokens, passwords) are committed in the repository."""
    findings: list[dict] = []
    to_scan = []
    for path, entry in ctx.files().items():
        name = basename(path)
        if name in KEY_FILES:
            findings.append(
                {
                    "path": path,
                    "line": None,
                    "kind": "ssh_private_key_file",
                    "label": "SSH private key file",
                    "masked": "********",
                }
            )
            continue
        if suffix(name) in BINARY_EXTENSIONS:
            continue
        if entry.size is not None and 0 < entry.size <= MAX_SCAN_BYTES:
            to_scan.append(path)
    scannable = set(to_scan)

    def compute(missing: list[str]) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {p: [] for p in missing}
        whole = {p for p in missing if _is_env_file(basename(p))}
        # Few changed files: grep just those; many: grep the tree and keep ours.
        pathspecs = [f":(literal){p}" for p in missing] if len(missing) <= 500 else []
        for path, number, line in ctx.snapshot.grep(PREFILTER, pathspecs=pathspecs):
            if path not in found:
                continue
            if "private key" in line.lower():
                whole.add(path)  # the key material is on the lines after the header
                continue
            found[path].extend(scan_text(path, line, first_line=number))
        for path, text in ctx.snapshot.iter_texts(sorted(whole), limit=MAX_SCAN_BYTES):
            found[path] = scan_text(path, text)
            if _is_env_file(basename(path)):
                found[path].extend(scan_env(path, text))
        return found

    for file_findings in ctx.batch_facts("secrets:v1", scannable, compute).values():
        findings.extend(file_findings or [])
    scanned = len(scannable)
    # One finding per line: the specific rule wins over the generic assignment rule.
    findings = list({(f["path"], f["line"]): f for f in reversed(findings)}.values())
    findings.sort(key=lambda f: (f["path"], f["line"] or 0))
    evidence = {"files_scanned": scanned, "findings": capped(findings), "count": len(findings)}
    if not findings:
        return passed(f"No secrets found in {plural(scanned, 'scanned file')}.", **evidence)
    first = findings[0]
    where = first["path"] + (f":{first['line']}" if first["line"] else "")
    return failed(
        f"{plural(len(findings), 'possible secret')} committed (first: {first['label']} "
        f"in {where}).",
        "Remove the secrets from the repository and its history (git filter-repo), rotate "
        "them now, and load them from the environment or a secret manager. If a finding is "
        "not a secret, add the comment 'mltrl: allow-secret' on that line.",
        **evidence,
    )
