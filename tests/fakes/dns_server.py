"""A tiny authoritative DNS server over UDP on 127.0.0.1, built from dnspython's own messages.

Real enough for a resolver: it parses queries from the wire and answers with
`dns.message.make_response`. Names in `records` get their records (NOERROR with an empty
answer for other types), names in `silent` get no reply at all (a timeout), names in
`servfail` get SERVFAIL, and everything else NXDOMAIN.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

# (name, type) -> (ttl, rdata texts)
Records = dict[tuple[str, str], tuple[int, list[str]]]


def _key(name: dns.name.Name | str) -> str:
    text = name.to_text() if isinstance(name, dns.name.Name) else name
    return text.lower().rstrip(".")


@dataclass
class FakeDnsServer(asyncio.DatagramProtocol):
    records: Records
    silent: set[str] = field(default_factory=set)
    servfail: set[str] = field(default_factory=set)
    queries: list[tuple[str, str]] = field(default_factory=list)
    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = dns.message.from_wire(data)
        question = query.question[0]
        name, rdtype = _key(question.name), dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if name in self.silent:
            return
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif any(known == name for known, _ in self.records):
            self._answer(response, question.name, rdtype)
        else:
            response.set_rcode(dns.rcode.NXDOMAIN)
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)

    def _answer(self, response: dns.message.Message, qname: dns.name.Name, rdtype: str) -> None:
        """The records asked for, following one CNAME the way an authoritative server does."""
        name = _key(qname)
        owner = qname
        if rdtype != "CNAME" and (name, "CNAME") in self.records:
            ttl, (target,) = self.records[(name, "CNAME")]
            response.answer.append(dns.rrset.from_text(owner, ttl, "IN", "CNAME", target))
            owner, name = dns.name.from_text(target), _key(target)
        if (name, rdtype) in self.records:
            ttl, values = self.records[(name, rdtype)]
            response.answer.append(dns.rrset.from_text(owner, ttl, "IN", rdtype, *values))

    @property
    def address(self) -> str:
        """`127.0.0.1:<port>`, the form `dns_lookup`'s `nameservers` setting takes."""
        assert self.transport is not None
        host, port = self.transport.get_extra_info("sockname")[:2]
        return f"{host}:{port}"

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def start_dns_server(
    records: Records, *, silent: Iterable[str] = (), servfail: Iterable[str] = ()
) -> FakeDnsServer:
    """Listen on a free UDP port of 127.0.0.1; `close()` the returned server when done."""
    server = FakeDnsServer(records=records, silent=set(silent), servfail=set(servfail))
    loop = asyncio.get_running_loop()
    await loop.create_datagram_endpoint(lambda: server, local_addr=("127.0.0.1", 0))
    return server
