"""chatops: a chat-ops bot whose agent plans tool calls and runs them once a human approves."""

from chatops import __version__  # the one place the version is written

__all__ = ["__version__"]
