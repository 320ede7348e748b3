"""Where an alert group's thread goes: the first `[[alerts.routes]]` entry whose `match` (label
equality) and `match_re` (full-match regular expressions) all hold for the group's common labels.
No match: the web chat only, diagnosis on one click (`diagnose = "ask"`)."""

from __future__ import annotations

import re

from chatops.bot.config import AlertRouteConfig

DEFAULT_ROUTE = AlertRouteConfig()


def route_for(labels: dict[str, str], routes: list[AlertRouteConfig]) -> AlertRouteConfig:
    for route in routes:
        if all(labels.get(name) == value for name, value in route.match.items()) and all(
                re.fullmatch(pattern, labels.get(name, "")) for name, pattern in route.match_re.items()):
            return route
    return DEFAULT_ROUTE
