"""Scrub configured secrets out of anything shown in a thread, stored, or logged.

Tools and runbooks can echo a token they were given (a failing `curl -v`, a stack trace); the
redactor replaces every configured secret value before the text leaves the executor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

MASK = "[redacted]"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # longest first, so a secret that contains another is masked whole
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def text(self, value: str | None) -> str | None:
        if not value or not self.secrets:
            return value
        for secret in self.secrets:
            value = value.replace(secret, MASK)
        return value

    def data(self, value: Any) -> Any:
        if not self.secrets or value is None:
            return value
        encoded = json.dumps(value, default=str, ensure_ascii=False)
        scrubbed = self.text(encoded)
        return value if scrubbed == encoded else json.loads(scrubbed)
