"""How a store operation is declared: a blocking method that reads, writes or must run alone,
queued to the group-commit writer (`storage.transactions`) when called from the event loop.

The method itself stays callable as `Method.blocking(store, …)`, so one operation can run
another inside its own transaction (`receive_planned` runs `record_inbound`, then
`propose_and_start`) without a second trip. The small value helpers every part shares sit here
too: ids, timestamps and JSON text.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from chatops.storage.transactions import Kind

R = TypeVar("R")


def _queued(kind: Kind) -> Callable[[Callable[..., R]], Callable[..., Coroutine[Any, Any, R]]]:
    def declare(method: Callable[..., R]) -> Callable[..., Coroutine[Any, Any, R]]:
        @functools.wraps(method)
        async def queued(self: Any, *args: Any, **kwargs: Any) -> R:
            return await self._writer.submit(functools.partial(self._operation, method, *args, **kwargs), kind)

        queued.blocking = method  # type: ignore[attr-defined]
        return queued

    return declare


reads = _queued("read")
"""An operation that only reads: outside a transaction unless it shares a batch with writes."""
writes = _queued("write")
"""An operation that changes something: always inside a transaction, with its batch."""
statement = _queued("statement")
"""A change made by exactly one SQL statement: atomic by itself, so it needs no transaction of
its own (one round trip on PostgreSQL) yet joins its batch's one when it has company."""
alone = _queued("alone")
"""An operation that cannot run inside a transaction (VACUUM, a checkpoint)."""


def new_id(prefix: str) -> str:
    """A new row id: 8 hex digits of the clock (units of 2^24 ns, about 1/60 s; they wrap every
    2.3 years) then 48 random bits, as every id had before (issue 23). Ids made together sort
    together, so a turn's new message, plan and step land at the end of their primary-key indexes
    instead of on a random page of each: at 100 turns in flight, 3.8 → 3.0 write-ahead-log pages
    per `!command` turn, and a big database's inserts stay on the pages already cached."""
    return f"{prefix}-{(time.time_ns() >> 24) & 0xFFFFFFFF:08x}{os.urandom(6).hex()}"  # `secrets.token_hex(6)`


def ts(moment: datetime | None = None) -> str:
    """Fixed-width UTC ISO timestamps, so text comparison in SQL is time comparison: the text of
    `moment.isoformat(timespec="microseconds")` in UTC. Now's is made from the clock with the
    second's text kept (`_this_second`): about a third of the cost of `datetime.now(UTC).isoformat()`,
    and a fast-path turn makes fifteen (issue 23)."""
    if moment is not None:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
    second = _this_second
    if second[0] != seconds:
        second = _remember_second(seconds)
    return f"{second[1]}.{micros:06d}+00:00"


_this_second: tuple[int, str] = (-1, "")


def _remember_second(seconds: int) -> tuple[int, str]:
    """The text of a whole second, `YYYY-MM-DDTHH:MM:SS`, kept until the clock leaves it (one
    assignment of a tuple: the loop and the writer threads may both read and replace it)."""
    global _this_second
    _this_second = (seconds, datetime.fromtimestamp(seconds, UTC).isoformat()[:19])
    return _this_second


def dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False)  # what json.dumps would build at every call


def dumps(value: Any) -> str:
    """`json.dumps(value, default=str, ensure_ascii=False)`, with one encoder made once."""
    return _ENCODER.encode(value)


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None
