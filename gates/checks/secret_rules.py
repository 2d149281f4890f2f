"""The rules of the secret scan (``gates.checks.secret_scan``): what a secret looks like.

Each ``Rule`` has lower-case needles (cheap substrings that must occur before
its regex runs) and a compiled pattern; ``PREFILTER`` is the PCRE ``git grep``
uses to pick candidate lines, a superset of what the rules find on one line.
Findings are masked: at most a token's public prefix (``hf_…``) is kept.

Tokens ML repositories leak, each with the look-alikes that must not fire
(tested in tests/gates/test_secret_rules.py): Hugging Face (``hf_`` + 34+
letters/digits, also in ``huggingface-cli login --token``), Weights & Biases
API keys (40 hex characters after ``WANDB_API_KEY``, ``wandb.login(key=``,
``wandb login`` or ``api.wandb.ai``), OpenAI (``sk-proj-``/``sk-svcacct-``/
``sk-admin-``, and keys carrying ``T3BlbkFJ``, and legacy ``sk-`` + 48),
Anthropic (``sk-ant-api03-``/``sk-ant-admin01-``), Replicate (``r8_`` + 37),
Kaggle (``kaggle.json``'s 32-hex ``key``, ``KAGGLE_KEY``), Slack tokens and
webhooks, Google service-account key ids, ``.netrc`` passwords.
Placeholders (``changeme``, ``<...>``, ``${{ secrets.X }}``, ``xxxx``,
documentation keys containing EXAMPLE) never fire; a line carrying
``mltrl: allow-secret`` (or ``gitleaks:allow``) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
    Rule(
        "slack_token",
        "Slack token",
        ("xox", "xapp-"),
        re.compile(
            r"\b(?:xox(?:[abprs]|e(?:\.xox[bp])?)-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{20,})"
        ),
        5,
    ),
    Rule(
        "slack_webhook",
        "Slack webhook URL",
        ("hooks.slack.com",),
        re.compile(
            r"https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]+/[A-Za-z0-9/_-]{20,}"
        ),
        29,
    ),
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
ML_RULES = (
    Rule(
        "huggingface_token",
        "Hugging Face token",
        ("hf_", "api_org_"),
        re.compile(r"\b(?:hf_[A-Za-z0-9]{34,40}|api_org_[A-Za-z0-9]{34})\b"),
        3,
    ),
    Rule(
        "wandb_api_key",
        "Weights & Biases API key",
        ("wandb",),
        re.compile(
            r"(?:wandb_api_key|wandb\.login\s*\(|wandb\s+login|api\.wandb\.ai)"
            r"[^\n]{0,60}?(?<![0-9a-f])([0-9a-f]{40})(?![0-9a-f])",
            re.I,
        ),
    ),
    Rule(
        "anthropic_key",
        "Anthropic API key",
        ("sk-ant-",),
        re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{80,}"),
        7,
    ),
    Rule(
        "openai_key",
        "OpenAI API key",
        ("sk-",),
        re.compile(
            r"\bsk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}"
            r"|\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}"
            r"|\bsk-[A-Za-z0-9]{48}\b"
        ),
        3,
    ),
    Rule(
        "replicate_token", "Replicate API token", ("r8_",), re.compile(r"\br8_[A-Za-z0-9]{37}\b"), 3
    ),
    Rule(
        "kaggle_key",
        "Kaggle API key",
        ('"username"', "kaggle"),
        re.compile(
            r"\"username\"\s*:\s*\"[^\"]+\"\s*,\s*\"key\"\s*:\s*\"([0-9a-f]{32})\""
            r"|kaggle_key[\"']?\s*[:=]\s*[\"']?([0-9a-f]{32})(?![0-9a-f])",
            re.I,
        ),
    ),
    Rule(
        "google_service_account",
        "Google service-account key",
        ("private_key_id",),
        re.compile(r"\"private_key_id\"\s*:\s*\"([0-9a-f]{40})\""),
    ),
)
RULES = RULES + ML_RULES
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
    # Alternatives grouped by first letter: PCRE tries fewer branches per position
    # (measured: the scan's git grep costs about 20% more CPU than before the ML
    # token rules, instead of 40% with one flat alternative per rule).
    r"(?i)(?:a(?:kia|iza|ws[\w.-]{0,20}?secret|pi_org_|pi\.wandb\.ai)|asia|private key"
    r"|g(?:h[pousr]_|ithub_pat_|lpat-)|x(?:ox[abprse]|app-)|_live_"
    r"|h(?:ooks\.slack\.com|f_[a-z0-9]{34})|wandb(?:_api_key|\.login|\s+login)|\bsk-"
    r"|r8_[a-z0-9]{37}|kaggle_key"
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
            add(m.start(m.lastindex or 0), rule.kind, rule.label, masked)
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


def is_env_file(name: str) -> bool:
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


NETRC_NAMES = frozenset({".netrc", "_netrc", "netrc"})
NETRC_PASSWORD = re.compile(r"(?:^|\s)password\s+(\S+)", re.M)
WHOLE_FILES = frozenset({"kaggle.json"}) | NETRC_NAMES  # multi-line formats: read whole


def scan_netrc(path: str, text: str) -> list[dict]:
    """``machine ... login ... password <value>`` entries with a real password."""
    findings = []
    for m in NETRC_PASSWORD.finditer(text):
        value = m.group(1)
        if _placeholder(value) or len(value) < 6:
            continue
        number, line = _line_of(text, m.start(1))
        if not any(marker in line for marker in ALLOW_MARKERS):
            findings.append(
                {
                    "path": path,
                    "line": number,
                    "kind": "netrc_password",
                    "label": "password in a .netrc file",
                    "masked": "********",
                }
            )
    return findings
