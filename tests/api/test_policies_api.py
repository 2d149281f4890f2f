"""Gate policies as documents: export, import (administrators), diff; API and command."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from gates.models import GatePolicyVersion
from tests.api.conftest import session_client, token_client
from tests.org import admin_actor


def test_export_toml_round_trips_and_import_publishes_the_next_version(org):
    admin = session_client(admin_actor())
    toml = admin.get("/api/v1/policies/0-1/export/")
    assert toml.status_code == 200 and toml["Content-Type"] == "application/toml"
    text = toml.content.decode()
    assert 'key = "0-1"' in text and "[[slots]]" in text
    before = GatePolicyVersion.objects.filter(policy__key="0-1").count()
    same = admin.post(
        "/api/v1/policies/0-1/import/", {"format": "toml", "document": text}, format="json"
    )
    assert same.status_code == 201
    assert GatePolicyVersion.objects.filter(policy__key="0-1").count() == before  # unchanged
    changed = text.replace('required_card_sections = ["tldr"]', "required_card_sections = []")
    changed = changed.replace("required_card_sections = []", 'required_card_sections = ["pitch"]')
    created = admin.post(
        "/api/v1/policies/0-1/import/", {"format": "toml", "document": changed}, format="json"
    )
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    assert number == before + 1
    assert created.json()["snapshot"]["required_card_sections"] == ["pitch"]
    diff = admin.get(f"/api/v1/policies/0-1/diff/?from={number - 1}&to={number}").json()
    assert {"field": "required_card_sections"}.items() <= diff[0].items()
    as_json = token_client(org.researcher).get(
        f"/api/v1/policies/0-1/export/?as=json&version={number}"
    )
    assert json.loads(as_json.content)["required_card_sections"] == ["pitch"]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ("key = ", "document"),
        ('[[slots]]\nroles = ["wizard"]\ncount = 1\nscope = "any"\n', "roles"),
        ('[[slots]]\nroles = ["research-lead"]\ncount = 0\nscope = "any"\n', "slots"),
        ('kind = "switchback"\n', "kind"),
        ('required_card_sections = ["poetry"]\n', "required_card_sections"),
        ('colour = "red"\n', "document"),
        # Shapes that once crashed the import (a 500) or the database.
        ('title = "a\\u0000b"\n', "document"),
        ("title = 5\n", "title"),
        ('[[slots]]\nroles = 5\ncount = 1\nscope = "any"\n', "slots"),
        ('[[slots]]\nroles = [["engineering"]]\ncount = 1\n', "slots"),
        ('[[slots]]\nroles = ["engineering"]\ncount = 100000\n', "slots"),
        ("waiver_roles = 3\n", "waiver_roles"),
        ("required_card_sections = [[1]]\n", "required_card_sections"),
    ],
)
def test_bad_documents_are_400_naming_the_field(org, document, field):
    response = session_client(admin_actor()).post(
        "/api/v1/policies/0-1/import/", {"format": "toml", "document": document}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"]


def test_only_administrators_import(org):
    body = {"format": "json", "document": "{}"}
    assert session_client(org.lead).post("/api/v1/policies/0-1/import/", body).status_code == 403
    assert token_client(admin_actor()).post("/api/v1/policies/0-1/import/", body).status_code == 403
    assert (
        session_client(admin_actor()).post("/api/v1/policies/9-9/import/", body).status_code == 400
    )


def test_policy_command_exports_imports_and_diffs(org, tmp_path):
    out = io.StringIO()
    call_command("policy", "export", "1-2", "--format=json", stdout=out)
    document = json.loads(out.getvalue())
    document["title"] = "Goal-oriented research, reviewed twice"
    path = tmp_path / "1-2.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="administrator"):
        call_command("policy", "import", "1-2", str(path), "--actor=lead")
    admin_actor()
    done = io.StringIO()
    call_command("policy", "import", "1-2", str(path), "--actor=org-admin", stdout=done)
    number = int(done.getvalue().rsplit(" ", 1)[1].rstrip(".\n"))
    diff = io.StringIO()
    call_command("policy", "diff", "1-2", str(number - 1), str(number), stdout=diff)
    assert diff.getvalue().startswith("title: ")
