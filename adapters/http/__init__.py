"""The HTTP API (`/api/v1`) and the local web chat: see `server.HttpAdapter`."""

from chatops.adapters.http.server import HttpAdapter

__all__ = ["HttpAdapter"]
