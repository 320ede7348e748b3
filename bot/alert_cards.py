"""The words an alert thread is written in: the alert as people read it, and the resolution.

An alert's message is one line of the bot's own request ("what is wrong here?") followed by the
alert as a labelled data part (`[alert: NAME, firing]`, see `bot.agent.provenance`): the planner
reads the alert as it reads a screenshot's text, and nothing the alert says can pass for a
person's words. Every line of alert text that starts with "[" is indented, so a label or an
annotation cannot forge a part label either.
"""

from __future__ import annotations

from datetime import datetime

from chatops.bot.alert_payloads import Alert, AlertNotification
from chatops.bot.perception.types import defuse_labels, safe_name
from chatops.bot.text import duration_words
from chatops.bot.thread_openers import HeadCard

SENDERS = {"alertmanager": "Alertmanager", "grafana": "Grafana"}
REQUEST = "An alert from {sender} fired: what is wrong here?"
SEVERITY_LABELS = ("severity", "priority")
LINK_ANNOTATIONS = ("runbook_url", "runbook", "dashboard_url")
MAX_VALUE = 300  # characters of one label or annotation value shown


def _clip(text: str, limit: int = MAX_VALUE) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def severity(alert: Alert) -> str:
    return next((alert.labels[key] for key in SEVERITY_LABELS if alert.labels.get(key)), "")


def request_line(source: str) -> str:
    """The bot's own words that start an alert's message: the only part a planner reads as a request."""
    return REQUEST.format(sender=SENDERS.get(source, source))


def alert_lines(alert: Alert) -> list[str]:
    """One alert for people: name and state, summary, description, severity, labels (its links
    go apart, see `link_lines`)."""
    level = severity(alert)
    lines = [f"{alert.name} is {alert.status}" + (f" (severity {level})" if level else "")]
    for key in ("summary", "description", "message"):
        if alert.annotations.get(key):
            lines.append(f"{key}: {_clip(alert.annotations[key])}")
    labels = ", ".join(f"{k}={_clip(v, 120)}" for k, v in sorted(alert.labels.items()))
    if labels:
        lines.append(f"labels: {labels}")
    if alert.starts_at:
        lines.append(f"since: {stamp(alert.starts_at)}")
    return lines


def link_lines(alerts: list[Alert], shown: int) -> list[str]:
    """The alerts' links for people: runbook, the generator (Prometheus' graph, Grafana's rule),
    dashboard, panel, silence. They are references, not targets: they are shown beside the alert
    (a notice), never in the text the planner reads, so a link is never turned into a check."""
    lines: list[str] = []
    for alert in alerts[:shown]:
        links = [(key.removesuffix("_url"), alert.annotations[key]) for key in LINK_ANNOTATIONS
                 if alert.annotations.get(key)]
        links += [("source", alert.generator_url)] if alert.generator_url else []
        links += list(alert.links.items())
        lines += [f"{alert.name} {name}: {_clip(url, 2000)}" for name, url in links]
    return list(dict.fromkeys(lines))


def alert_message(notification: AlertNotification, alerts: list[Alert], *, shown: int, heading: str = "") -> str:
    """The message a thread gets when alerts fire: the request line, then the alerts as data
    (at most `shown` of them; the rest counted, as are the alerts the sender left out)."""
    first = alerts[0] if alerts else None
    name = safe_name(first.name if first else notification.group_labels.get("alertname", "alert"), 80)
    label = f"[alert: {name}, {notification.status}]"
    body: list[str] = []
    if heading:
        body.append(heading)
    if notification.title:
        body.append(f"title: {_clip(notification.title)}")
    for alert in alerts[:shown]:
        body.extend(alert_lines(alert))
        body.append("")
    hidden = len(alerts) - shown
    if hidden > 0:
        body.append(f"… and {hidden} more alert(s) of this group, not listed here")
    if notification.truncated_alerts:
        body.append(f"{SENDERS.get(notification.source, notification.source)} left out "
                    f"{notification.truncated_alerts} more alert(s) of this group (truncatedAlerts)")
    text = defuse_labels("\n".join(body).strip())
    return f"{request_line(notification.source)}\n{label}\n{text}"




def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def resolved_message(alerts: list[Alert], *, whole_group: bool, fired_for: float | None) -> str:
    """"Resolved" for the thread: which alerts, and how long they fired."""
    names = ", ".join(dict.fromkeys(_clip(alert.name, 80) for alert in alerts)) or "the alerts"
    how_long = f" after firing for {duration_words(fired_for)}" if fired_for is not None else ""
    if whole_group:
        return f"✅ Resolved: {names}{how_long}. Every alert of this group is resolved."
    return f"✅ Resolved: {names}{how_long}. Other alerts of this group still fire."


def head_card(source: str, alerts: list[Alert], status: str, *, shown: int) -> HeadCard:
    """The card a group's Slack or Discord thread hangs from: the alerts for people (name,
    summary, description, severity, labels, since), red while firing, green and titled
    "Resolved" once every alert of the group is; with Silence 1h and Acknowledge."""
    first = alerts[0] if alerts else None
    name = _clip(first.name if first else "alert", 80)
    summary = _clip(first.annotations.get("summary") or first.annotations.get("description") or "", 150) \
        if first else ""
    firing = status == "firing"
    title = (f"🔔 {name}" + (f": {summary}" if summary else "")) if firing else f"✅ Resolved: {name}"
    lines: list[str] = []
    for alert in alerts[:shown]:
        lines.extend(alert_lines(alert))
        lines.append("")
    if len(alerts) > shown:
        lines.append(f"… and {len(alerts) - shown} more alert(s) of this group")
    lines += link_lines(alerts, shown)
    lines.append(f"From {SENDERS.get(source, source)}. Plans for it are below, in this thread.")
    return HeadCard(title=title[:250], text="\n".join(lines).strip(), state="firing" if firing else "resolved",
                    alert_actions=True)
