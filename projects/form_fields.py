"""Form fields that refuse, in the form's own words, what the database cannot store.

``ModelMultipleChoiceField`` looks its choices up with ``pk__in``; SQLite cannot
bind a number past 64 bits, so ``reviewer_teams=99999999999999999999999`` was a
500 there (PostgreSQL answers "not found"). Here such a value is an invalid
choice before any query, on every database.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from .query_params import MAX_BIGINT


def _out_of_range(value: Any) -> bool:
    try:
        number = int(str(value).strip())
    except ValueError:
        return False  # not a number: Django's own check names it
    return not -MAX_BIGINT - 1 <= number <= MAX_BIGINT


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` whose integer keys past 64 bits are invalid choices."""

    def _check_values(self, value: Any) -> Any:
        for item in value:
            if _out_of_range(item):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": item},
                )
        return super()._check_values(value)


class BoundedManyToManyAdminMixin:
    """Admin forms whose many-to-many fields refuse ids past 64 bits (see above)."""

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", BoundedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
