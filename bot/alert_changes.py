"""What a notification changes about an alert group, compared with the group as last seen.

Alertmanager repeats a group's notification every `repeat_interval` while it fires, and Grafana
does the same: a repeat must add nothing to the thread. What does add something: the group's
first notification, an alert that starts firing (new in the group, or firing again after it
resolved, seen by its fingerprint and its `startsAt`), and alerts that resolve.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chatops.bot.alert_payloads import Alert, AlertNotification


@dataclass
class GroupChange:
    new_group: bool
    fired: list[Alert] = field(default_factory=list)  # started firing since the group was last seen
    resolved: list[Alert] = field(default_factory=list)  # were firing, now resolved
    alerts: list[Alert] = field(default_factory=list)  # the group's alerts after this notification
    status: str = "firing"  # the group's status after it
    was_firing: bool = False

    @property
    def changed(self) -> bool:
        return self.new_group or bool(self.fired) or bool(self.resolved)

    @property
    def group_resolved(self) -> bool:
        """The group was firing and every alert of it is resolved now."""
        return self.was_firing and self.status == "resolved" and bool(self.resolved)


def compare(notification: AlertNotification, stored: dict[str, Any] | None) -> GroupChange:
    """The change `notification` makes to the group stored as `stored` (None: never seen)."""
    before = {item["fingerprint"]: Alert.model_validate(item) for item in (stored or {}).get("alerts", [])}
    change = GroupChange(new_group=stored is None, was_firing=(stored or {}).get("status") == "firing")
    merged = dict(before)
    for alert in notification.alerts:
        seen = before.get(alert.fingerprint)
        if alert.status == "firing":
            again = seen is None or seen.status == "resolved" or _later(alert.starts_at, seen.starts_at)
            if again:
                change.fired.append(alert)
        elif seen is not None and seen.status == "firing":
            change.resolved.append(alert)
        merged[alert.fingerprint] = alert
    change.alerts = list(merged.values())
    change.status = "firing" if any(a.status == "firing" for a in change.alerts) else "resolved"
    return change


def _later(now: datetime | None, before: datetime | None) -> bool:
    """A firing alert whose start moved on resolved and fired again between two notifications."""
    return now is not None and before is not None and now > before


def firing_for(alerts: list[Alert], fired_at: datetime | None, until: datetime) -> float | None:
    """Seconds the resolved alerts fired: from the group's (or the earliest alert's) start to the
    latest end the sender reported (or `until`, when it reported none)."""
    starts = [a.starts_at for a in alerts if a.starts_at] or ([fired_at] if fired_at else [])
    if not starts:
        return None
    ends = [a.ends_at for a in alerts if a.ends_at]
    end = max(ends) if ends else until
    return max(0.0, (end - min(starts)).total_seconds())
