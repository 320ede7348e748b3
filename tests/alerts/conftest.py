"""The served bot of the HTTP tests, for the alert and schedule tests."""

from tests.http.conftest import start_web  # noqa: F401  (a fixture, used by name)
from tests.discord.conftest import discord_bot, fake_discord  # noqa: F401, E402  (fixtures, used by name)
