"""The answer to "address already in use": which address, and the three places that choose it
(the key, the flag, the environment variable), instead of an errno the user must decode."""

from __future__ import annotations

import errno

from chatops.bot.config import Config

# adapter name -> (its config key, how else to set it)
WHERE: dict[str, tuple[str, str]] = {
    "http": ("[http] listen", "`chatops run --listen HOST:PORT` or CHATOPS_HTTP_LISTEN"),
    "slack": ("[slack] listen", ""),  # Slack's HTTP mode
}


def address_in_use(adapter: str, exc: BaseException, config: Config) -> str | None:
    """One line for an adapter whose port is taken, or None when `exc` is something else."""
    if not isinstance(exc, OSError) or exc.errno != errno.EADDRINUSE or adapter not in WHERE:
        return None
    key, other = WHERE[adapter]
    address = config.http.listen if adapter == "http" else config.slack.listen
    return (f"chatops: {address} is already in use (another chatops, or another program, listens there); "
            f"choose another address with {key} in the config file" + (f", or {other}" if other else ""))
