"""Forms of the review workflow's write side (GOV.UK patterns: one question per field).

The forms only parse and shape input; every rule lives in the services, whose
refusals ``service_call`` turns into form errors in the services' own words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from projects.cards import DEBRIEF_FIELDS

from .models import Decision, SwitchbackKind

TEXT = {"rows": 4}
MAX_TEXT = 20_000


def service_call(form: forms.Form, call: Callable[[], Any]) -> tuple[Any, int]:
    """Run a service; a refusal becomes a non-field error of ``form``.

    Returns ``(result, status)``: status 200 on success, 400 after a
    ValidationError, 403 after a PermissionDenied (the page re-renders with the
    sentence in its error summary, never a 500).
    """
    try:
        return call(), 200
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or "You may not do this here.")
        return None, 403
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(name if name in form.fields else None, message)
        else:
            for message in exc.messages:
                form.add_error(None, message)
        return None, 400


def _lines(text: str) -> list[str]:
    return [line.strip().lstrip("-*[] ").strip() for line in text.splitlines() if line.strip()]


class SignOffForm(forms.Form):
    # The decision comes from the button pressed (Approve, Request changes, Reject).
    decision = forms.ChoiceField(
        label="Your decision",
        choices=Decision.choices,
        error_messages={
            "required": "Choose approve, request changes or reject.",
            "invalid_choice": "Choose approve, request changes or reject.",
        },
    )
    comment = forms.CharField(
        label="Comment with your decision",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs=TEXT),
        help_text="Markdown. A rejection needs one.",
    )
    tasks = forms.CharField(
        label="Tasks (when you request changes)",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs=TEXT),
        help_text="One task per line: the remaining work the requester must do.",
    )
    commit_sha = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == Decision.REQUEST_CHANGES and not _lines(data.get("tasks", "")):
            self.add_error("tasks", "Requesting changes needs at least one task, one per line.")
        if data.get("decision") == Decision.REJECT and not (data.get("comment") or "").strip():
            self.add_error("comment", "A rejection needs a comment saying why.")
        data["task_list"] = _lines(data.get("tasks", ""))
        return data


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Add a comment",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs=TEXT),
        help_text="Markdown.",
        error_messages={"required": "Write the comment before sending it."},
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing it?",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResubmitForm(forms.Form):
    comment = forms.CharField(
        label="What did you change?",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class WaiverGrantForm(forms.Form):
    check_key = forms.ChoiceField(
        label="Check to waive",
        error_messages={
            "required": "Choose the check to waive.",
            "invalid_choice": "Choose one of the checks the gate's policy lets you waive.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown. Why the gate may pass without this check.",
        error_messages={
            "required": "Give the reason for the waiver.",
            "max_length": f"Keep the reason to {MAX_TEXT:,} characters or fewer.",
        },
    )
    expires_on = forms.DateField(
        label="Expires on",
        help_text="A date in the future, for example 2027-01-31.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Enter the date the waiver expires.",
            "invalid": "Enter the expiry as a date, for example 2027-01-31.",
        },
    )

    def __init__(self, *args: Any, checks: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["check_key"].choices = [(k, k) for k in checks]

    def expires_at(self) -> datetime:
        """The end of the chosen day in the current time zone."""
        day = self.cleaned_data["expires_on"]
        return timezone.make_aware(datetime.combine(day, time.max) - timedelta(microseconds=0))


class _RequestForm(forms.Form):
    reason = forms.CharField(
        label="Justification",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs=TEXT),
        help_text="Markdown. Why the project should change level now.",
    )

    def debrief(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"debrief_{key}", "") for key, _ in DEBRIEF_FIELDS}


def _add_debrief_fields(form: forms.Form) -> None:
    for key, label in DEBRIEF_FIELDS:
        form.fields[f"debrief_{key}"] = forms.CharField(
            label=f"Stage debrief: {label}",
            required=False,
            max_length=MAX_TEXT,
            widget=forms.Textarea(attrs={"rows": 2}),
        )


class AdvanceForm(_RequestForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_debrief_fields(self)


class SwitchbackForm(_RequestForm):
    switchback_kind = forms.ChoiceField(
        label="Kind of switchback",
        choices=[("", "Choose the kind"), *SwitchbackKind.choices],
        error_messages={
            "required": "Say which kind of switchback this is.",
            "invalid_choice": "Choose discovery, review or embedded as the kind of switchback.",
        },
    )
    to_level = forms.TypedChoiceField(
        label="Back to level",
        coerce=int,
        error_messages={
            "required": "Choose the level to go back to.",
            "invalid_choice": "Choose one of the levels the project passed through.",
        },
    )

    def __init__(self, *args: Any, levels: list[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_level"].choices = list(levels)
        self.fields["reason"].required = True
        self.fields["reason"].label = "Reason"
        self.fields["reason"].help_text = "Markdown. What sends the project back."
        self.fields["reason"].error_messages["required"] = "A switchback needs a reason."
        _add_debrief_fields(self)
