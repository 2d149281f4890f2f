"""The new-project form: name, owning team, reviewer teams, repository, entry level.

Repository URL and branch are validated by the service itself
(``projects.services.project_create``), so the form and the API refuse the
same things in the same words.
"""

from __future__ import annotations

from typing import Any

from django import forms

from projects.form_fields import BoundedModelMultipleChoiceField
from projects.levels import Level
from projects.models import Team
from projects.slugs import SLUG_SHAPE_PROBLEM, project_slug_problem

from .forms import MAX_TEXT


class NewProjectForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=200,
        error_messages={
            "required": "Enter the project's name.",
            "max_length": "Keep the project's name to 200 characters or fewer.",
        },
    )
    slug = forms.SlugField(
        label="Short name (used in addresses)",
        max_length=50,
        help_text="Lowercase letters, digits and hyphens, for example churn-forecaster.",
        error_messages={
            "required": "Enter a short name.",
            "invalid": SLUG_SHAPE_PROBLEM,
            "max_length": "Keep the short name to 50 characters or fewer.",
        },
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea({"rows": 2}),
        error_messages={"max_length": f"Keep the description to {MAX_TEXT:,} characters or fewer."},
    )
    team = forms.ModelChoiceField(
        label="Owning team",
        queryset=Team.objects.none(),
        empty_label="Choose your team",
        error_messages={
            "required": "Choose the team that owns the project.",
            "invalid_choice": "Choose one of your teams.",
        },
    )
    reviewer_teams = BoundedModelMultipleChoiceField(
        label="Reviewer teams",
        queryset=Team.objects.none(),
        required=False,
        widget=forms.SelectMultiple,
        help_text="Teams invited to review; independent sign-offs come from them.",
        error_messages={
            "invalid_choice": "Choose reviewer teams from the list.",
            "invalid_pk_value": "Choose reviewer teams from the list.",
            "invalid_list": "Choose reviewer teams from the list.",
        },
    )
    repository_url = forms.CharField(
        label="Repository URL",
        required=False,
        max_length=500,
        help_text="An https or ssh git address, for example https://git.example.com/ds/churn.git.",
        error_messages={"max_length": "Keep the repository URL to 500 characters or fewer."},
    )
    default_branch = forms.CharField(
        label="Branch",
        max_length=200,
        initial="main",
        error_messages={
            "required": "Enter the branch the checks run on, for example main.",
            "max_length": "Keep the branch name to 200 characters or fewer.",
        },
    )
    entry_level = forms.TypedChoiceField(
        label="Entry level",
        coerce=int,
        choices=Level.choices,
        initial=0,
        help_text="Projects start at 0; a higher entry level opens an entry review.",
        error_messages={
            "required": "Choose the entry level: 0, or higher for an entry review.",
            "invalid_choice": "Choose an entry level from 0 to 9.",
        },
    )
    entry_reason = forms.CharField(
        label="Why it enters at that level",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea({"rows": 3}),
        help_text="Markdown. Needed for an entry review: the evidence for the level.",
        error_messages={"max_length": f"Keep the reason to {MAX_TEXT:,} characters or fewer."},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        mine = Team.objects.all()
        if not user.is_superuser:
            mine = mine.filter(memberships__user=user)
        self.fields["team"].queryset = mine.order_by("name").distinct()
        self.fields["reviewer_teams"].queryset = Team.objects.order_by("name")

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        problem = project_slug_problem(slug)  # the service refuses it in the same words
        if problem:
            raise forms.ValidationError(problem)
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("entry_level") and not (data.get("entry_reason") or "").strip():
            self.add_error("entry_reason", "An entry review needs the reason for the level.")
        return data
