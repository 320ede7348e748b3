"""chatops: a chat-ops bot whose agent plans tool calls and runs them once a human approves."""

__version__ = "0.1.0"
