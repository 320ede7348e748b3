"""Which adapters `chatops run` starts, from the configuration.

Slack starts when its credentials are configured (a bot token plus the app token in Socket Mode
or the signing secret in HTTP mode), Discord when its token is; the HTTP API and web chat start
unless `http.enabled = false`. Imports are lazy so that a bot without Slack never loads
slack-bolt.
"""

from __future__ import annotations

from chatops.adapters.base import Adapter
from chatops.bot.config import Config
from chatops.bot.config_check import http_exposure_problem
from chatops.bot.runtime import Runtime


class AdapterConfigError(ValueError):
    """The configuration asks for something an adapter must refuse to do."""


def slack_configured(config: Config) -> bool:
    slack = config.slack
    if slack.bot_token is None:
        return False
    return (slack.app_token if slack.mode == "socket" else slack.signing_secret) is not None


def discord_configured(config: Config) -> bool:
    return config.discord.token is not None


def http_enabled(config: Config) -> bool:
    return config.http.enabled


def check_http_exposure(config: Config) -> None:
    """Without tokens, whoever reaches the web chat is the operator: allow that on loopback only
    (the rule `chatops check-config` reports too)."""
    problem = http_exposure_problem(config)
    if problem:
        raise AdapterConfigError(problem)


def planned_adapters(config: Config) -> list[str]:
    """The names of the adapters this configuration starts; raises `AdapterConfigError` for one
    it must refuse. Needs no runtime, so `chatops run` can say no before loading any model."""
    names = [name for name, wanted in (("slack", slack_configured(config)), ("discord", discord_configured(config)),
                                       ("http", http_enabled(config))) if wanted]
    if "http" in names:
        check_http_exposure(config)
    return names


ADAPTER_MODULES = {"slack": "chatops.adapters.slack", "discord": "chatops.adapters.discord",
                   "http": "chatops.adapters.http"}


def import_adapters(config: Config) -> None:
    """Import the configured adapters' modules (blocking). `chatops run` does it in a worker
    thread while the database opens, so their import overlaps with its disk writes."""
    import importlib

    for name in planned_adapters(config):
        importlib.import_module(ADAPTER_MODULES[name])


def configured_adapters(runtime: Runtime) -> list[Adapter]:
    adapters: list[Adapter] = []
    for name in planned_adapters(runtime.config):
        if name == "slack":
            from chatops.adapters.slack import SlackAdapter

            adapters.append(SlackAdapter(runtime))
        elif name == "discord":
            from chatops.adapters.discord import DiscordAdapter

            adapters.append(DiscordAdapter(runtime))
        else:
            from chatops.adapters.http import HttpAdapter

            adapters.append(HttpAdapter(runtime))
    return adapters
