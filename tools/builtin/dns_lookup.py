"""`dns_lookup`: what a name resolves to, asked of the configured (or system) nameservers.

NXDOMAIN, an empty answer, a timeout or a failing server are answers to "does it resolve?",
so they come back as a result with `error`; only a malformed name raises.
"""

from __future__ import annotations

from typing import Any, Literal

import dns.asyncresolver
import dns.exception
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver
from pydantic import BaseModel, ConfigDict, Field

from chatops.tools.context import ToolContext
from chatops.tools.registry import tool

RecordType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"]
DEFAULT_TIMEOUT = 5.0


class DnsLookupResult(BaseModel):
    """The records found (as text) and the TTL of the answer, or why there are none."""

    name: str
    record_type: str
    answers: list[str] = Field(default_factory=list)
    ttl: int | None = None
    error: str | None = None

    def summary(self) -> str:
        """In people's words: `example.com resolves to 93.184.216.34 (A, TTL 300)`, `example.com's
        mail goes to 10 mx.example.com (MX, …)`, `nope.example does not exist (NXDOMAIN)`."""
        if self.error:
            if "NXDOMAIN" in self.error:
                return f"{self.name} does not exist (NXDOMAIN)"
            return f"{self.name} ({self.record_type}): {self.error}"
        facts = self.record_type + (f", TTL {self.ttl}" if self.ttl is not None else "")
        verb = {"A": "resolves to", "AAAA": "resolves to", "CNAME": "is an alias of", "MX": "has its mail handled by",
                "NS": "is served by the nameservers", "TXT": "has the text records"}.get(self.record_type, "→")
        return f"{self.name} {verb} {', '.join(self.answers)} ({facts})"

    def problem(self) -> str | None:
        """No such name, no answer, a resolver that did not reply."""
        return self.summary() if self.error or not self.answers else None


def parse_nameserver(text: str) -> dns.nameserver.Nameserver:
    """`"1.1.1.1"`, `"127.0.0.1:5353"`, `"::1"` or `"[::1]:5353"` as a plain-DNS nameserver."""
    text = text.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = int(port_text)
    return dns.nameserver.Do53Nameserver(host, port)


def _resolver(config: dict[str, Any]) -> dns.asyncresolver.Resolver:
    """Configured nameservers replace /etc/resolv.conf entirely (no search domains either)."""
    nameservers = config.get("nameservers")
    if nameservers:
        if isinstance(nameservers, str):
            nameservers = [nameservers]
        resolver = dns.asyncresolver.Resolver(configure=False)
        try:
            resolver.nameservers = [parse_nameserver(str(item)) for item in nameservers]
        except ValueError as exc:
            raise ValueError(f"dns_lookup: bad nameservers setting {nameservers!r}: {exc}") from exc
    else:
        resolver = dns.asyncresolver.Resolver()
    timeout = float(config.get("timeout") or DEFAULT_TIMEOUT)
    resolver.timeout = timeout  # per nameserver try
    resolver.lifetime = timeout  # the whole lookup, retries included
    return resolver


def _rdata_text(rdata: Any) -> str:
    """Records as people write them: names without the final dot, TXT strings unquoted."""
    rdtype = rdata.rdtype
    if rdtype == dns.rdatatype.MX:
        return f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True)}"
    if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS):
        return rdata.target.to_text(omit_final_dot=True)
    if rdtype == dns.rdatatype.TXT:
        return b"".join(rdata.strings).decode("utf-8", errors="replace")
    return rdata.to_text()


class DnsLookupOptions(BaseModel):
    """`[tools.dns_lookup]`."""

    model_config = ConfigDict(extra="forbid")
    nameservers: list[str] | None = None  # "10.0.0.2" or "10.0.0.3:5353"; none: the system's resolvers
    timeout: float = Field(DEFAULT_TIMEOUT, gt=0)  # seconds for the whole lookup


@tool(
    risk="read",
    timeout=30,
    options=DnsLookupOptions,
    keywords=("dns", "resolve", "resolves", "record", "records", "mx", "txt", "cname", "nameserver", "ip"),
    examples=("what does example.com resolve to?", "show the MX records of example.com"),
)
async def dns_lookup(ctx: ToolContext, name: str, record_type: RecordType = "A") -> DnsLookupResult:
    """Look up DNS records of a domain name (A, AAAA, CNAME, MX, TXT or NS).

    A name that does not exist, has no such record or whose nameservers do not answer is
    reported in `error`, not raised.

    Args:
        name: The domain name to look up, e.g. example.com.
        record_type: The record type to ask for; A (IPv4 address) by default.
    """
    name = name.strip()
    if not name.strip("."):
        raise ValueError("name must be a domain name such as example.com, not empty")
    try:
        qname = dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise ValueError(f"not a valid domain name: {name!r} ({exc})") from exc
    display = qname.to_text(omit_final_dot=True)
    result = DnsLookupResult(name=display, record_type=record_type)
    try:
        resolver = _resolver(ctx.config)
        answer = await resolver.resolve(qname, record_type, search=False)
    except dns.resolver.NXDOMAIN:
        result.error = "no such domain (NXDOMAIN)"
    except dns.resolver.NoAnswer:
        result.error = f"the name exists but has no {record_type} record"
    except dns.resolver.LifetimeTimeout:
        result.error = f"timed out after {resolver.lifetime:g} s"
    except dns.resolver.NoNameservers as exc:
        result.error = f"no nameserver could answer: {_first_line(exc)}"
    except dns.resolver.NoResolverConfiguration:
        result.error = "no nameservers configured (set [tools.dns_lookup] nameservers)"
    except dns.exception.DNSException as exc:
        result.error = f"lookup failed: {_first_line(exc)}"
    else:
        rrset = answer.rrset
        if rrset is not None:
            result.answers = [_rdata_text(rdata) for rdata in rrset]
            result.ttl = rrset.ttl
    return result


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
