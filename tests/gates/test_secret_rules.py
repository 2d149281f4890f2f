"""The secret scan on the tokens ML repositories leak, their look-alikes, and large files.

Every token is built from parts so that secret scanners (push protection) skip
this file; each has look-alikes that must not fire: documentation keys,
placeholders, hashes in lock files, ``${{ secrets.X }}`` references in CI.
"""

from __future__ import annotations

import json

import pytest

from gates.checks import secret_scan
from gates.models import CheckOutcome

PASS, WARN, FAIL = CheckOutcome.PASS, CheckOutcome.WARN, CheckOutcome.FAIL

HF = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"  # 34 letters
WANDB = "8f3a" + "9c2e71b04d5a6f8e9d0c1b2a3f4e5d6c7b8a"  # 40 hex
OPENAI = "sk-proj-" + "Zx9Kq2Lm4Np6Rs8Tv0Wy1Ab3Cd5Ef7Gh9Ij2Kl4Mn6Op8Qr0St"
OPENAI_LEGACY = "sk-" + "Ab3Cd5Ef7Gh9Ij2K" + "T3BlbkFJ" + "Lm4Np6Rs8Tv0Wy1Zx9Kq"
ANTHROPIC = (
    "sk-ant-api03-"
    + "Qz8Xw7Vu6Ts5Rq4Po3Nm2Lk1Jh0Gf9Ed8Cb7Az6Yx5Wv4Ut3Sr2Qp1On0Ml9"
    + "Kj8Ih7Gf6Ed5Cb4Az3Yx2Wv1Ut0SrQp-AAAA"
)
REPLICATE = "r8_" + "Kq2Lm4Np6Rs8Tv0Wy1Ab3Cd5Ef7Gh9Ij2Kl4M"  # 37 after r8_
KAGGLE = "3f9c" + "2e71b04d5a6f8e9d0c1b2a3f4e5d"  # 32 hex
SA_KEY_ID = "1a2b" + "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"  # 40 hex
SLACK_HOOK = (
    "https://hooks.slack.com/services/" + "T0123ABCD/B0456EFGH/" + "aBcDeFgHiJkLmNoPqRsTuVwX"
)
AWS_ID = "AKIA" + "Z7Q2M4W8R1T6Y3U5"

FOUND = [
    ("scripts/push.sh", f"huggingface-cli login --token {HF}\n", "huggingface_token", HF),
    ("train.py", f'api = HfApi(token="{HF}")\n', "huggingface_token", HF),
    (".github/workflows/t.yml", f"env:\n  WANDB_API_KEY: {WANDB}\n", "wandb_api_key", WANDB),
    ("nb/train.py", f'wandb.login(key="{WANDB}")\n', "wandb_api_key", WANDB),
    ("eval/judge.py", f'client = OpenAI(api_key="{OPENAI}")\n', "openai_key", OPENAI),
    ("eval/old.py", f"openai.api_key = '{OPENAI_LEGACY}'\n", "openai_key", OPENAI_LEGACY),
    ("eval/claude.py", f'c = Anthropic(api_key="{ANTHROPIC}")\n', "anthropic_key", ANTHROPIC),
    ("demo/app.py", f"os.environ['REPLICATE_API_TOKEN'] = '{REPLICATE}'\n", "replicate_token",
     REPLICATE),
    ("kaggle.json", f'{{\n  "username": "ada",\n  "key": "{KAGGLE}"\n}}\n', "kaggle_key", KAGGLE),
    ("setup/env.sh", f"export KAGGLE_KEY={KAGGLE}\n", "kaggle_key", KAGGLE),
    ("gcp/sa.json", f'{{"type": "service_account",\n "private_key_id": "{SA_KEY_ID}"}}\n',
     "google_service_account", SA_KEY_ID),
    ("alerts.py", f'WEBHOOK = "{SLACK_HOOK}"\n', "slack_webhook", SLACK_HOOK),
    (".netrc", "machine api.wandb.ai\n  login user\n  password Gx7pQ2wLr9Vb\n", "netrc_password",
     "Gx7pQ2wLr9Vb"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "text", "kind", "secret"), FOUND, ids=[f[2] for f in FOUND])
def test_ml_tokens_are_found_and_masked(run_check, path, text, kind, secret):
    out = run_check("no_secrets", {path: text, "README.md": "# x\n"})
    assert out.outcome == FAIL, out.evidence
    assert out.evidence["count"] == 1
    finding = out.evidence["findings"][0]
    assert (finding["path"], finding["kind"]) == (path, kind)
    assert finding["line"] == text.count("\n", 0, text.index(secret)) + 1
    assert secret[8:] not in json.dumps(out.evidence)
    assert secret[8:] not in out.message


LOOK_ALIKES = {
    # documentation example keys and placeholders
    "docs/aws.md": "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
    "docs/hf.md": (
        "Run `huggingface-cli login --token hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`\n"
        "or `huggingface-cli login --token $HF_TOKEN`; see hf_hub_download().\n"
    ),
    "docs/openai.md": "export OPENAI_API_KEY=sk-...\nOPENAI_API_KEY=sk-your-key-here\n",
    "docs/kaggle.md": '{"username":"<your-username>","key":"<your-key>"}\n',
    "docs/netrc.md": "machine api.wandb.ai login user password <your-api-key>\n",
    ".netrc.example": "machine example.org login me password $NETRC_PASSWORD\n",
    # CI references to secrets
    ".github/workflows/train.yml": (
        "env:\n  HF_TOKEN: ${{ secrets.HF_TOKEN }}\n  WANDB_API_KEY: ${{ secrets.WANDB_API_KEY }}\n"
        "steps:\n  - run: huggingface-cli login --token ${{ secrets.HF_TOKEN }}\n"
        "  - run: wandb login ${{ secrets.WANDB_API_KEY }}\n"
        '  - run: echo "password: ${{ secrets.DB_PASSWORD }}"\n'
    ),
    # hashes in lock files and pinned commits
    "poetry.lock": (
        '[[package]]\nname = "wandb"\nversion = "0.16.0"\n'
        'files = [\n    {file = "wandb-0.16.0.tar.gz", hash = "sha256:' + "a1b2" * 16 + '"},\n]\n'
        '[metadata]\ncontent-hash = "' + "9f8e" * 16 + '"\n'
    ),
    "requirements.txt": (
        "wandb==0.16.0 --hash=sha256:" + "c3d4" * 16 + "\n"
        "git+https://github.com/wandb/wandb@" + "0123456789abcdef" * 2 + "01234567\n"
    ),
    "package-lock.json": '{"integrity": "sha512-' + "Q2x" * 28 + '=="}\n',
    "uv.lock": 'sdist = { url = "https://x/hf.tar.gz", hash = "sha256:' + "e5f6" * 16 + '" }\n',
    # code that handles keys without containing one
    "train.py": (
        "wandb.login(key=os.environ['WANDB_API_KEY'])\n"
        "token = HfFolder.get_token()\n"
        "kaggle_key = os.getenv('KAGGLE_KEY')\n"
        "run_name = 'sk-learn-baseline-with-a-long-descriptive-run-name-1234'\n"
        "mask = task_sk-1\n"
    ),
    "gcp/sa.template.json": (
        '{"type": "service_account", "private_key_id": "your-private-key-id",\n'
        ' "private_key": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n"}\n'
    ),
}


def test_ml_look_alikes_do_not_fire(run_check):
    out = run_check("no_secrets", LOOK_ALIKES)
    assert out.outcome == PASS, out.evidence["findings"]
    assert out.evidence["files_scanned"] == len(LOOK_ALIKES)


def _notebook(cells_source: list[str], image_bytes: int) -> str:
    """A notebook as nbformat writes it (indent 1), one output a base64 PNG."""
    png = ("iVBORw0KGgoAAAANSUhEUgAA" + "AKIAq7Z3bX9" * (image_bytes // 11))[:image_bytes]
    cells = [
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {},
            "source": [line + "\n" for line in source.splitlines()],
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["loss 0.31\n"]},
                {
                    "output_type": "display_data",
                    "metadata": {},
                    "data": {"image/png": png, "text/plain": ["<Figure size 640x480>"]},
                },
            ],
        }
        for source in cells_source
    ]
    return json.dumps(
        {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1
    )


def test_key_in_a_code_cell_of_a_large_notebook_is_found(run_check):
    nb = _notebook(["import boto3", f"s3 = boto3.client('s3', aws_access_key_id='{AWS_ID}')"],
                   image_bytes=1_800_000)  # fmt: skip
    assert len(nb) > 3_600_000
    out = run_check("no_secrets", {"analysis/explore.ipynb": nb})
    assert out.outcome == FAIL, out.message
    assert [f["kind"] for f in out.evidence["findings"]] == ["aws_access_key_id"]
    line = nb.splitlines().index(next(x for x in nb.splitlines() if AWS_ID in x)) + 1
    assert out.evidence["findings"][0]["line"] == line


def test_base64_images_in_a_notebook_are_not_scanned(run_check):
    # The image data holds AKIA... runs; only its text is scanned, so nothing fires.
    nb = _notebook(["print('hello')"], image_bytes=2_000_000)
    nb = nb.replace("iVBORw0KGgo", "iVBORw0KGgo" + AWS_ID, 1)
    html = f'<img src="data:image/png;base64,{AWS_ID}{"A" * 100}">\n'
    out = run_check("no_secrets", {"report.ipynb": nb, "report.html": html})
    assert out.outcome == PASS, out.evidence


def test_files_not_scanned_are_named_with_the_reason(run_check, monkeypatch):
    monkeypatch.setattr(secret_scan, "SCAN_CAP_BYTES", 1_500_000)
    files = {
        "logs/train.log": "step 1\n" * 250_000,  # 1.75 MB: over the scan cap
        "data/dump.csv": "a,b\n" * 600_000,  # 2.4 MB: over the 2 MB fetch cap
        "weights/model.pt": b"\x00" * 3_000_000,  # binary: never listed
        "src/model.py": "x = 1\n",
    }
    out = run_check("no_secrets", files, max_blob_bytes=2_000_000)
    assert out.outcome == WARN
    assert out.evidence["not_scanned"] == [
        {"path": "data/dump.csv", "reason": "over the fetch cap, never downloaded"},
        {"path": "logs/train.log", "reason": "over the scan cap of 1,500,000 bytes"},
    ]
    assert out.message == (
        "No secrets found in 1 scanned file. 2 text files not scanned: data/dump.csv (over the "
        "fetch cap, never downloaded); logs/train.log (over the scan cap of 1,500,000 bytes)."
    )
