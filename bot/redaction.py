"""Scrub configured secrets out of anything shown in a thread, stored, or logged.

Tools and runbooks can echo a token they were given (a failing `curl -v`, a stack trace); the
redactor replaces every configured secret value before the text leaves the executor.

Structured results are walked, not encoded: every string, dictionary keys included, is scrubbed
where it stands, so a secret holding `"` or `\\` (which JSON would escape) is found all the same.
Strings are also scrubbed of the secret's JSON-escaped spellings, for output that carries JSON
as text (a tool printing a JSON document).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

MASK = "[redacted]"


def _spellings(secret: str) -> set[str]:
    """The secret as written, and as JSON would write it inside a string."""
    return {secret, json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(secret)[1:-1]}


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is masked whole
        self.secrets = sorted({s for secret in secrets if secret for s in _spellings(secret)}, key=len, reverse=True)

    def text(self, value: str | None) -> str | None:
        if not value or not self.secrets:
            return value
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        """A copy of `value` with every string in it scrubbed (keys too); other values as they are."""
        if not self.secrets or value is None:
            return value
        return self._walk(value)

    def _walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {(self.text(k) if isinstance(k, str) else k): self._walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._walk(item) for item in value]
        if isinstance(value, int | float | bool):
            return value
        return self.text(str(value))  # anything else is stored as its text (`json.dumps(default=str)`)
