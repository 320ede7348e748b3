"""The served bot of the HTTP tests, for the next-step tests."""

from tests.http.conftest import start_web  # noqa: F401  (a fixture, used by name)
