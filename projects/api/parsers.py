"""The API's JSON parser: any body DRF's parser cannot read is a 400 ``parse_error``.

DRF's ``JSONParser`` turns malformed JSON into a ``ParseError`` but lets a
``RecursionError`` through: a body nested a few thousand levels deep (``{"a":``
x 3000, 18 KB) crashed every JSON write with a 500. It is malformed input like
any other, so it answers the same 400 in the API's error format.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    """``JSONParser`` that refuses too deeply nested JSON with a 400, not a 500."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context=None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error
