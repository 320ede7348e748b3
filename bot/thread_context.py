"""The values a thread offers to parameters that declare a `default_from` source.

Each source is read only when a plan needs it (`bot.agent.context_defaults.wanted`), so a turn
that plans no such parameter costs no extra trip to the store. Today's source: `alert.labels`,
the labels every alert of the thread's alert group shares, the same set the alert card's Silence
button silences.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from chatops.bot.agent.context_defaults import ContextValue
from chatops.bot.model import ThreadRef


def shared_labels(alerts: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The labels every alert of a group carries with the same value."""
    label_sets = [alert.get("labels") or {} for alert in alerts]
    if not label_sets:
        return {}
    return {name: value for name, value in label_sets[0].items()
            if all(labels.get(name) == value for labels in label_sets)}


def matcher_text(labels: dict[str, str]) -> str:
    """Labels in Alertmanager's matcher syntax: `alertname="X",severity="critical"`."""
    quoted = {name: value.replace("\\", "\\\\").replace('"', '\\"') for name, value in labels.items()}
    return ",".join(f'{name}="{value}"' for name, value in sorted(quoted.items()))


async def _alert_labels(store: Any, thread: ThreadRef) -> ContextValue | None:
    row = await store.alert_of_thread(thread.id)
    labels = shared_labels(row["alerts"]) if row else {}
    if not labels:
        return None
    return ContextValue(data=labels, text=matcher_text(labels), origin="this thread's alert (its labels)")


SOURCES: dict[str, Callable[[Any, ThreadRef], Awaitable[ContextValue | None]]] = {
    "alert.labels": _alert_labels,
}


async def context_values(store: Any, thread: ThreadRef, sources: Iterable[str]) -> dict[str, ContextValue]:
    """The thread's values of `sources` (a source it has no value of, or an unknown one, is absent)."""
    found = {}
    for source in sources:
        reader = SOURCES.get(source)
        value = await reader(store, thread) if reader is not None else None
        if value is not None:
            found[source] = value
    return found
