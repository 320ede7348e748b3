"""The built-in read-only tools: safe to run without approval, useful in almost every chat."""

from chatops.tools.builtin.clock import current_time
from chatops.tools.builtin.dns_lookup import dns_lookup
from chatops.tools.builtin.http_check import http_check
from chatops.tools.builtin.tcp_check import tcp_check

BUILTIN_TOOLS: list = [http_check, dns_lookup, tcp_check, current_time]

__all__ = ["BUILTIN_TOOLS", "current_time", "dns_lookup", "http_check", "tcp_check"]
