"""Hygiene checks on real repositories: licence, pinned dependencies, secrets, file sizes."""

from __future__ import annotations

import json

import pytest

from gates.models import CheckOutcome

PASS, WARN, FAIL = CheckOutcome.PASS, CheckOutcome.WARN, CheckOutcome.FAIL

MIT = """MIT License

Copyright (c) 2024 Example

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), ...
"""
APACHE = "                Apache License\n           Version 2.0, January 2004\n"
BSD3 = (
    "Redistribution and use in source and binary forms, with or without\nmodification, are "
    "permitted ...\n3. Neither the name of the copyright holder ...\n"
)


# --- licence --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files,name",
    [
        ({"LICENSE": MIT}, "MIT"),
        ({"LICENCE.md": APACHE}, "Apache-2.0"),
        ({"COPYING.txt": BSD3}, "BSD-3-Clause"),
        ({"license": "SPDX-License-Identifier: MPL-2.0\n"}, "MPL-2.0"),
        ({"LICENSE-MIT": MIT, "LICENSE-APACHE": APACHE}, "MIT, Apache-2.0"),
    ],
)
def test_licence_recognised(run_check, files, name):
    out = run_check("licence", files)
    assert out.outcome == PASS
    assert out.evidence["licence"] == name
    assert out.message.startswith(f"Licensed under {name} (")


def test_licence_unrecognised_still_passes(run_check):
    out = run_check("licence", {"LICENSE.txt": "All rights reserved by Example Corp.\n"})
    assert out.outcome == PASS
    assert out.evidence["licence"] is None
    assert out.message == "LICENSE.txt is present (licence not recognised)."


def test_licence_fail(run_check):
    out = run_check("licence", {"docs/LICENSE": MIT, "README.md": "x"})
    assert out.outcome == FAIL
    assert out.message == "The repository has no licence file."
    assert "Add a LICENSE file at the root" in out.fix
    out = run_check("licence", {"LICENSE": "  \n\n"})
    assert out.outcome == FAIL
    assert out.message == "LICENSE is empty."
    assert out.fix == "Put the full licence text in LICENSE."


def test_an_included_requirements_file_that_is_missing_fails(run_check):
    dev = (
        "-r base.txt\n--constraint=../constraints.txt\n-r https://x.example/r.txt\npytest==8.0.0\n"
    )
    files = {"requirements/dev.txt": dev, "requirements/base.txt": "numpy==1.26.4\n",
             "constraints.txt": "numpy==1.26.4\n"}  # fmt: skip
    assert run_check("pinned_dependencies", files).outcome == PASS  # both found beside dev.txt
    del files["requirements/base.txt"]
    out = run_check("pinned_dependencies", files)
    assert out.outcome == FAIL
    assert out.message == (
        "requirements/dev.txt includes base.txt (line 1), which is not in the repository: "
        "'pip install -r' would fail."
    )
    assert out.evidence["missing_includes"] == [
        {"path": "requirements/dev.txt", "line": 1, "includes": "base.txt"}
    ]


def test_one_pinned_requirement_is_said_in_the_singular(run_check):
    out = run_check("pinned_dependencies", {"requirements.txt": "torch==2.2.0\n"})
    assert out.message == "The 1 requirement in requirements.txt is pinned."


def test_a_card_licence_in_front_matter_is_named_but_does_not_count(run_check):
    readme = "---\nlanguage: en\nlicense: apache-2.0\ntags:\n- text-classification\n---\n# m\n"
    out = run_check("licence", {"README.md": readme})
    assert out.outcome == FAIL
    assert out.message == (
        "The repository has no licence file. README.md's front matter says "
        "'license: apache-2.0', which names a licence but is not its text."
    )
    assert out.evidence["front_matter_licence"] == "apache-2.0"
    body_only = "# m\n\nlicense: mit\n"  # not front matter: not mentioned
    assert run_check("licence", {"README.md": body_only}).message == (
        "The repository has no licence file."
    )


def test_licence_over_fetch_cap_warns(run_check):
    out = run_check("licence", {"LICENSE": MIT * 40}, max_blob_bytes=1000)
    assert out.outcome == WARN
    assert "could not be read" in out.message


# --- pinned_dependencies --------------------------------------------------------------


@pytest.mark.parametrize(
    "lock",
    [
        "uv.lock",
        "poetry.lock",
        "Pipfile.lock",
        "web/package-lock.json",
        "go.sum",
        "requirements.lock",
        "env.conda-lock.yml",
    ],
)
def test_pinned_dependencies_lock_file(run_check, lock):
    out = run_check("pinned_dependencies", {lock: "content\n", "requirements.txt": "numpy\n"})
    assert out.outcome == PASS
    assert out.evidence["lock_files"] == [lock]


def test_pinned_dependencies_empty_lock_file_does_not_count(run_check):
    out = run_check("pinned_dependencies", {"poetry.lock": "", "requirements.txt": "numpy\n"})
    assert out.outcome == FAIL


PINNED = """# produced by pip-compile
--index-url https://pypi.org/simple
-r base.txt
-e .
numpy==1.26.4  # via pandas
pandas[performance]==2.2.1 ; python_version >= "3.10"
torch === 2.2.0
scipy==1.12.0 \\
    --hash=sha256:abc \\
    --hash=sha256:def
mylib @ git+https://github.com/org/mylib@0123456789abcdef0123456789abcdef01234567
wheel @ https://files.example.org/wheel-1.0-py3-none-any.whl
./local/package
"""


def test_pinned_dependencies_requirements_all_pinned(run_check):
    out = run_check(
        "pinned_dependencies",
        {"requirements.txt": PINNED, "requirements/dev.txt": "pytest==8.0.0\n",
         "base.txt": "numpy==1.26.4\n"},  # what PINNED's "-r base.txt" names
    )  # fmt: skip
    assert out.outcome == PASS
    assert out.evidence["requirements"] == 7
    assert out.message == (
        "All 7 requirements in requirements.txt, requirements/dev.txt are pinned."
    )


def test_pinned_dependencies_unpinned_lines(run_check):
    text = (
        "numpy==1.26.4\n"
        "pandas>=2\n"
        "scikit-learn\n"
        "torch==2.*\n"
        "priv @ git+https://user:s3cr3tTOKEN@git.example.org/priv.git\n"
        "-e git+https://github.com/org/lib.git#egg=lib\n"
    )
    out = run_check("pinned_dependencies", {"requirements-dev.txt": text})
    assert out.outcome == FAIL
    assert out.message == (
        "5 requirements of 6 are not pinned (requirements-dev.txt:2, requirements-dev.txt:3, "
        "requirements-dev.txt:4, requirements-dev.txt:5, requirements-dev.txt:6)."
    )
    assert [u["line"] for u in out.evidence["unpinned"]] == [2, 3, 4, 5, 6]
    assert out.evidence["unpinned"][0] == {
        "path": "requirements-dev.txt",
        "line": 2,
        "requirement": "pandas>=2",
    }
    assert "s3cr3tTOKEN" not in json.dumps(out.evidence)
    assert "'numpy==1.26.4'" in out.fix


def test_pinned_dependencies_evidence_is_capped(run_check):
    text = "".join(f"pkg{n}>=1\n" for n in range(25))
    out = run_check("pinned_dependencies", {"requirements.txt": text})
    assert out.outcome == FAIL
    assert len(out.evidence["unpinned"]) == 20
    assert out.evidence["unpinned_count"] == 25
    assert out.message.endswith(", ...).")


CONDA = """name: yield
channels: [conda-forge]
dependencies:
  - python=3.11
  - conda-forge::numpy=1.26.4
  - pandas
  - pip:
    - torch==2.2.0
    - rich
"""


def test_pinned_dependencies_conda_environment(run_check):
    out = run_check("pinned_dependencies", {"environment.yml": CONDA})
    assert out.outcome == FAIL
    assert [(u["line"], u["requirement"]) for u in out.evidence["unpinned"]] == [
        (6, "pandas"),
        (9, "rich"),
    ]
    pinned = CONDA.replace("  - pandas\n", "").replace("    - rich\n", "")
    assert run_check("pinned_dependencies", {"environment.yml": pinned}).outcome == PASS
    # The bare "- pip" nearly every such file lists installs the pip: list; not a package.
    with_pip = pinned.replace("  - pip:\n", "  - pip\n  - pip:\n")
    assert run_check("pinned_dependencies", {"environment.yml": with_pip}).outcome == PASS
    assert (
        run_check("pinned_dependencies", {"environment.yml": with_pip + "  - scipy\n"}).outcome
        == FAIL
    )


def test_pinned_dependencies_pyproject(run_check):
    pyproject = '[project]\nname = "x"\ndependencies = [\n  "numpy==1.26.4",\n  "pandas>=2",\n]\n'
    out = run_check("pinned_dependencies", {"pyproject.toml": pyproject})
    assert out.outcome == FAIL
    assert out.evidence["unpinned"] == [
        {"path": "pyproject.toml", "line": 5, "requirement": "pandas>=2"}
    ]
    pinned = pyproject.replace('  "pandas>=2",\n', "")
    assert run_check("pinned_dependencies", {"pyproject.toml": pinned}).outcome == PASS


def test_pinned_dependencies_manifest_without_lock(run_check):
    poetry = '[tool.poetry.dependencies]\npython = "^3.11"\n'
    out = run_check("pinned_dependencies", {"pyproject.toml": poetry, "web/package.json": "{}"})
    assert out.outcome == FAIL
    assert out.message == (
        "Dependencies are declared in pyproject.toml, web/package.json but not locked to "
        "exact versions."
    )
    assert "uv.lock" in out.fix


def test_pinned_dependencies_nothing_declared(run_check):
    out = run_check("pinned_dependencies", {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})
    assert out.outcome == FAIL
    assert out.message.startswith("The repository declares no dependencies")
    out = run_check("pinned_dependencies", {"requirements.txt": "# none yet\n-e .\n"})
    assert out.outcome == FAIL
    assert out.message == "requirements.txt lists no packages, and there is no lock file."


# --- no_secrets -----------------------------------------------------------------------

# Provider tokens are built from parts, so secret scanners (push protection) skip this file.
GH = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
AWS_ID = "AKIA" + "Z7Q2M4W8R1T6Y3U5"
PEM = (
    "-----BEGIN RSA "
    + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAt8v9Q2lU1Yx0c3b4m5n6o7p8q9r0s1t2u3v4w5x6y7z8\n"
)

SECRETS = [
    ("config/gh.py", f'TOKEN_FOR_CI = "{GH}"\n', "github_token", GH),
    ("deploy/aws.cfg", f"aws_access_key_id={AWS_ID}\n", "aws_access_key_id", AWS_ID),
    (
        "deploy/aws.py",
        'aws_secret_access_key = "' + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9Qk3Lm2Np" + '"\n',
        "aws_secret_access_key",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYz9Qk3Lm2Np",
    ),
    ("keys/server.pem", PEM, "private_key", "MIIEowIBAAKCAQEAt8v9Q2lU1Yx0c3b4"),
    (
        "ci/gitlab.sh",
        "export T=glpat-" + "x7Yq2Lm9Np4Rs8Tv3Wz1\n",
        "gitlab_token",
        "x7Yq2Lm9Np4Rs8Tv3Wz1",
    ),
    (
        "bot.js",
        "const t = 'xoxb-" + "1234567890-abcdefGHIJK';\n",
        "slack_token",
        "1234567890-abcdefGHIJK",
    ),
    (
        "maps.js",
        "key: 'AIza" + "SyD4f8Gh2Jk6Lm0Np3Qr7St1Uv5Wx9Yz2Ab'\n",
        "google_api_key",
        "SyD4f8Gh2Jk6Lm0Np3Qr7St1Uv5Wx9Yz2Ab",
    ),
    (
        "pay.py",
        'stripe.api_key = "sk_' + 'live_4eC39HqLyjWDarjtT1zdp7dc"\n',
        "stripe_live_key",
        "4eC39HqLyjWDarjtT1zdp7dc",
    ),
    ("settings.py", 'DB_PASSWORD = "Tr0ub4dor&3xK"\n', "assigned_secret", "Tr0ub4dor&3xK"),
    (
        "conf.json",
        '{"api_key": "a8f5f167f44f4964e6c998dee827110c"}',
        "assigned_secret",
        "a8f5f167f44f4964e6c998dee827110c",
    ),
    (
        "nb/run.ipynb",
        '{"source": ["client_secret = \\"9xK2mP4qR7sT1vW3\\"\\n"]}',
        "assigned_secret",
        "9xK2mP4qR7sT1vW3",
    ),
    (".env", "DEBUG=1\nDATABASE_PASSWORD=hunter2hunter\n", "env_file_value", "hunter2hunter"),
]


@pytest.mark.parametrize("path,text,kind,secret", SECRETS, ids=[s[2] + ":" + s[0] for s in SECRETS])
def test_no_secrets_finds_and_masks(run_check, path, text, kind, secret):
    out = run_check("no_secrets", {path: text, "README.md": "# x\n"})
    assert out.outcome == FAIL
    assert out.evidence["count"] == 1
    finding = out.evidence["findings"][0]
    assert finding["path"] == path
    assert finding["kind"] == kind
    # A private key is reported at its BEGIN line, everything else where the secret is.
    start = 0 if kind == "private_key" else text.index(secret)
    assert finding["line"] == text.count("\n", 0, start) + 1
    assert secret not in repr(out)
    assert secret[4:] not in json.dumps(out.evidence)
    assert f"in {path}:{finding['line']}" in out.message
    assert "rotate them" in out.fix


def test_no_secrets_generic_finding_names_the_variable(run_check):
    out = run_check("no_secrets", {"settings.py": 'DB_PASSWORD = "Tr0ub4dor&3xK"\n'})
    assert out.evidence["findings"][0]["name"] == "DB_PASSWORD"
    assert out.evidence["findings"][0]["masked"] == "********"
    assert out.message == "1 possible secret committed (first: hard-coded secret in settings.py:1)."


def test_no_secrets_ssh_key_file(run_check):
    out = run_check(
        "no_secrets", {"deploy/id_rsa": "not even a key", "deploy/id_rsa.pub": "ssh-rsa"}
    )
    assert out.outcome == FAIL
    assert out.evidence["findings"] == [
        {
            "path": "deploy/id_rsa",
            "line": None,
            "kind": "ssh_private_key_file",
            "label": "SSH private key file",
            "masked": "********",
        }
    ]


CLEAN = {
    "settings.py": (
        'PASSWORD = "changeme"\n'
        'api_key = "<your-api-key>"\n'
        'token = "${GITHUB_TOKEN}"\n'
        'SECRET_KEY = "{{ secret_key }}"\n'
        'password = os.environ["DB_PASSWORD"]\n'
        'token_type = "bearer_token_type"\n'
        'password_hash = "pbkdf2_sha256$abc123456"\n'
        'secret = ""\n'
        'client_secret = "xxxxxxxxxxxx"\n'
        'auth_token = "ACCESS_TOKEN_NAME"\n'
        'db_password = "Tr0ub4dor&3xK"  # mltrl: allow-secret\n'
        'if password == "abc12345678":\n'
    ),
    "docs/keys.md": "Keys start with `-----BEGIN RSA PRIVATE KEY-----` and are secret.\n",
    "docs/aws.md": "Example id: AKIAIOSFODNN7EXAMPLE\n",
    "tests/fake.py": 'FAKE = "ghp_' + "x" * 36 + '"\n',
    ".env.example": "DATABASE_PASSWORD=hunter2hunter\n",
    ".env": "API_TOKEN=\nDEBUG=true\n",
    "model.pt": b"\x00\x01password = 'Tr0ub4dor&3xK'",
    "data/blob.dat": b"\x00binary password = 'Tr0ub4dor&3xK'",
}


def test_no_secrets_ignores_placeholders_docs_and_binaries(run_check):
    out = run_check("no_secrets", CLEAN)
    assert out.outcome == PASS, out.evidence
    assert out.message.startswith("No secrets found in ")
    assert out.evidence["count"] == 0


def test_no_secrets_scans_files_over_one_megabyte(run_check):
    big = "x" * 1_000_100 + f'\npassword = "{GH}"\n'
    out = run_check("no_secrets", {"dump.sql": big})
    assert out.outcome == FAIL
    assert out.evidence["files_scanned"] == 1
    assert out.evidence["findings"][0]["line"] == 2


def test_no_secrets_caps_findings(run_check):
    text = "".join(f'svc{n}_token = "Zq8{n:03}Wm4Rt7Yp2"\n' for n in range(30))
    out = run_check("no_secrets", {"a.py": text})
    assert out.outcome == FAIL
    assert out.evidence["count"] == 30
    assert len(out.evidence["findings"]) == 20


# --- no_oversized_files ---------------------------------------------------------------


def test_no_oversized_files_pass(run_check):
    out = run_check("no_oversized_files", {"a.txt": "x" * 100})
    assert out.outcome == PASS
    assert out.evidence["max_file_bytes"] == 10_000_000
    assert out.message == "No file is larger than 10,000,000 bytes."


def test_no_oversized_files_over_threshold_and_fetch_cap(run_check):
    files = {
        ".mltrl.toml": "[thresholds]\nmax_file_bytes = 1000\n",
        "data/train.csv": "x" * 5000,  # over the fetch cap: never downloaded
        "data/small.csv": "x" * 1500,  # under the cap, over the threshold
        "data/ok.csv": "x" * 500,
    }
    out = run_check("no_oversized_files", files, max_blob_bytes=3000)
    assert out.outcome == FAIL
    assert out.evidence["files"] == [
        {"path": "data/train.csv", "size": "over the fetch cap"},
        {"path": "data/small.csv", "size": 1500},
    ]
    assert out.evidence["count"] == 2
    assert out.evidence["fetch_cap_bytes"] == 3000
    assert out.message == (
        "2 files are too large to keep in git (largest: data/train.csv, over the fetch cap)."
    )
    assert "Git LFS or DVC" in out.fix
