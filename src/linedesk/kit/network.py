"""Network identity (SPEC R-A2): the real client address behind our reverse proxies, and the
mobile number the operator's gateway vouches for.

X-Forwarded-For is believed only as far as it was written by our own proxies; the number
header only from the gateway's ranges and, when a key is configured, only when signed:
    X-MSISDN-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<header value>")>
"""

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

from linedesk.kit.phone import InvalidNumber, LineKind, parse_italian_number

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

FORWARDED_FOR = "X-Forwarded-For"
SIGNATURE_SUFFIX = "-Signature"


def parse_address(raw: str) -> IPAddress | None:
    """An address as a peer or proxy writes it: "1.2.3.4", "1.2.3.4:5678", "[::1]:443"."""
    text = raw.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_networks(cidrs: Iterable[str | IPNetwork]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(cidr) if isinstance(cidr, str) else cidr for cidr in cidrs)


def in_networks(address: IPAddress, networks: Iterable[str | IPNetwork]) -> bool:
    return any(address in network for network in parse_networks(networks))


def header_values(headers: Mapping[str, str], name: str) -> list[str]:
    """Every value of a header, case-insensitively (Starlette Headers or a plain dict)."""
    getlist = getattr(headers, "getlist", None)
    if callable(getlist):
        return [str(value) for value in getlist(name)]
    wanted = name.lower()
    return [value for key, value in headers.items() if key.lower() == wanted]


def client_address(
    peer: str | None, headers: Mapping[str, str], trusted_proxies: Iterable[str | IPNetwork]
) -> IPAddress | None:
    """The client's address: the direct peer, unless the peer is one of our proxies; then the
    right-most X-Forwarded-For entry that is not one of our proxies. None without a peer."""
    address = parse_address(peer) if peer else None
    if address is None:
        return None
    proxies = parse_networks(trusted_proxies)
    if not in_networks(address, proxies):
        return address  # whatever X-Forwarded-For says, the client wrote it
    hops = [hop for value in header_values(headers, FORWARDED_FOR) for hop in value.split(",")]
    for hop in reversed(hops):
        previous = parse_address(hop)
        if previous is None:
            return address  # a proxy of ours wrote garbage: go no further than that proxy
        address = previous
        if not in_networks(address, proxies):
            return address
    return address


def sign_msisdn(key: str, msisdn: str, timestamp: int) -> str:
    """The signature header the gateway sends with `msisdn` (development simulator, tests)."""
    return f"t={timestamp},v1={_mac(key, timestamp, msisdn)}"


def _mac(key: str, timestamp: int, msisdn: str) -> str:
    return hmac.new(key.encode(), f"{timestamp}.{msisdn}".encode(), hashlib.sha256).hexdigest()


def signature_is_valid(
    key: str, msisdn: str, signature: str, now: datetime, max_skew_seconds: int
) -> bool:
    """A well-formed `t=…,v1=…` whose time is within the skew and whose MAC matches."""
    timestamp: int | None = None
    macs: list[str] = []
    for part in signature.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            macs.append(value.lower())
    if timestamp is None or not macs:
        return False
    if abs(now.timestamp() - timestamp) > max_skew_seconds:
        return False
    expected = _mac(key, timestamp, msisdn)
    # compare_digest for each candidate, no early exit on the first match.
    return sum(hmac.compare_digest(expected, mac) for mac in macs) > 0


class GatewayTrust(Protocol):
    """What autologin trusts: the gateways' ranges, their header, its key (the settings)."""

    @property
    def autologin_gateway_ranges(self) -> Iterable[str | IPNetwork]: ...
    @property
    def autologin_header(self) -> str: ...
    @property
    def autologin_hmac_key(self) -> str: ...
    @property
    def autologin_max_skew_seconds(self) -> int: ...


def vouched_msisdn(
    client_ip: IPAddress | None, headers: Mapping[str, str], settings: GatewayTrust, now: datetime
) -> str | None:
    """The E.164 mobile number the operator's gateway vouches for, or None: the header is
    ignored unless the client is inside a gateway range and, with a key, correctly signed."""
    if client_ip is None or not in_networks(client_ip, settings.autologin_gateway_ranges):
        return None
    values = header_values(headers, settings.autologin_header)
    if len(values) != 1:
        return None  # absent, or ambiguous
    raw = values[0].strip()
    if settings.autologin_hmac_key:
        signatures = header_values(headers, settings.autologin_header + SIGNATURE_SUFFIX)
        if len(signatures) != 1 or not signature_is_valid(
            settings.autologin_hmac_key,
            raw,
            signatures[0],
            now,
            settings.autologin_max_skew_seconds,
        ):
            return None
    try:
        return parse_italian_number(raw, LineKind.mobile)
    except InvalidNumber:
        return None
