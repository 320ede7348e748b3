"""The Web API client every Slack call goes through, with retries Slack needs and slack_sdk lacks.

slack_sdk retries connection errors by default but not HTTP 429: `AsyncRateLimitErrorRetryHandler`
sleeps the `Retry-After` seconds the answer names and tries again, so card edits survive a burst.
`api_base_url` is Slack's unless a test points it at a local fake.
"""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from chatops.bot.config import SlackConfig

RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
TIMEOUT_SECONDS = 30


def web_client(slack: SlackConfig) -> AsyncWebClient:
    if slack.bot_token is None:
        raise ValueError("slack.bot_token is not set (or CHATOPS_SLACK_BOT_TOKEN)")
    base_url = slack.api_base_url if slack.api_base_url.endswith("/") else slack.api_base_url + "/"
    return AsyncWebClient(
        token=slack.bot_token.get_secret_value(),
        base_url=base_url,
        timeout=TIMEOUT_SECONDS,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


def error_of(exc: Exception) -> str:
    """Slack's error code for a failed call (`channel_not_found`, …), or what else went wrong."""
    response = getattr(exc, "response", None)
    data = getattr(response, "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(response, "status_code", None)
    return f"HTTP {status}" if status else f"{type(exc).__name__}: {exc}"
