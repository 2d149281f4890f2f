"""The API's ``ordering`` filter (``DEFAULT_FILTER_BACKENDS``): unknown terms are a 400.

Its own module: DRF imports the filter backends while reading its settings, before
``projects.api.base`` (which imports DRF's generics) can be imported.
"""

from __future__ import annotations

from rest_framework import filters, serializers


class StrictOrderingFilter(filters.OrderingFilter):
    """``ordering``: a comma-separated list of the view's ``ordering_fields``, each
    optionally prefixed by ``-``; any other term is a 400 naming ``ordering`` (DRF
    drops unknown terms and answers the default order the caller did not ask for)."""

    def remove_invalid_fields(self, queryset, fields, view, request) -> list[str]:
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            allowed = ", ".join(self._names(view))
            raise serializers.ValidationError({"ordering": [f"Order by one of: {allowed}."]})
        return valid

    @staticmethod
    def _names(view) -> list[str]:
        return list(getattr(view, "ordering_fields", None) or [])

    def get_schema_operation_parameters(self, view) -> list[dict]:
        names = self._names(view)
        term = f"-?({'|'.join(names)})"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Comma-separated, `-` for descending: "
                + ", ".join(f"`{n}`" for n in names)
                + ". Anything else is a 400.",
                # Empty: the default order.
                "schema": {"type": "string", "pattern": f"^({term}(,{term})*)?$"},
            }
        ]
