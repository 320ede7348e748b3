"""The served bot of the HTTP tests, for the alert and schedule tests."""

from tests.discord.conftest import discord_bot, fake_discord  # noqa: F401  (fixtures, used by name)
from tests.http.conftest import start_web  # noqa: F401  (a fixture, used by name)
