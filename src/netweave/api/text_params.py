"""Text filter query parameters of the list endpoints (the rule: netweave.core.text_filter).

``ExactText``: exact match, or a case-insensitive glob over the whole value with ``*``/``?``.
``ContainsText``: case-insensitive "contains", or the same glob with ``*``/``?``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from netweave.core.text_filter import CONTAINS_HELP, EXACT_HELP

ExactText = Annotated[str | None, Query(max_length=255, description=EXACT_HELP)]
ContainsText = Annotated[str | None, Query(max_length=255, description=CONTAINS_HELP)]
