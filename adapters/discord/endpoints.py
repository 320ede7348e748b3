"""Where discord.py connects: the REST base and the gateway URL, from `[discord]` config.

discord.py keeps both in process-global class attributes, `discord.http.Route.BASE` (read each
time a request is built, so interaction callbacks and webhooks follow it too) and
`DiscordWebSocket.DEFAULT_GATEWAY` (a `yarl.URL`; reconnects then use READY's
`resume_gateway_url`). The adapter sets them when it starts and puts the previous values back when
it stops, so one process runs one Discord connection at a time (which is all `chatops run` needs).
"""

from __future__ import annotations

from collections.abc import Callable

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from chatops.bot.config import DiscordConfig


def use_endpoints(config: DiscordConfig) -> Callable[[], None]:
    """Point discord.py at `config.api_base_url` and `config.gateway_url`; returns the undo."""
    previous_base, previous_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = config.api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)

    def restore() -> None:
        Route.BASE = previous_base
        DiscordWebSocket.DEFAULT_GATEWAY = previous_gateway

    return restore
