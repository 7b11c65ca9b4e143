"""Which address a request comes from. X-Forwarded-For is written by whoever sends the request,
so it is believed only when the peer is a configured reverse proxy (`server.trusted_proxies`);
then the client is the rightmost hop that is not itself a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks: list[_Network] = [ipaddress.ip_network(c, strict=False) for c in cidrs]

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip.version == net.version and ip in net for net in self.networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address for limits and logs."""
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if self.trusts(hop):
                continue
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:  # garbage the client wrote: the hop we trust most is the peer
                return peer
        return peer  # every hop is one of our proxies: requests from the proxy host itself
