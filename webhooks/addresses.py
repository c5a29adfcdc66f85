"""The SSRF guard: which URLs a webhook may be sent to.

A URL must be https:// (http:// only with WEBHOOK_ALLOW_HTTP), and every address its host
resolves to must be a public one: loopback, private (RFC 1918, fc00::/7, shared 100.64/10),
link-local (169.254/16 with the cloud metadata address, fe80::/10), multicast, reserved and
unspecified addresses are refused, as are IPv6 addresses that carry such an IPv4 address
(IPv4-mapped, 6to4, Teredo, NAT64). WEBHOOK_ALLOW_PRIVATE lifts the address rule (tests, local
development).

check_url() runs at subscription and again at every delivery (DNS may answer differently by
then); the sender connects to exactly the addresses it approved, never resolving the name again.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string

MAX_URL_LENGTH = 2048
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, not globally routable


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why, for the caller."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written in the URL (IDNA-encoded), for the Host header and TLS
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # the approved addresses, in the resolver's order


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses, from the operating system's resolver (DNS, /etc/hosts)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [info[4][0] for info in infos]


def offline_resolver(host: str, port: int) -> list[str]:
    """IP addresses as themselves and localhost as the loopback addresses, without asking DNS;
    any other name is unknown. For tests, which send no packet beyond this machine."""
    if host == "localhost":
        return ["127.0.0.1", "::1"]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
    return [info[4][0] for info in infos]


def resolve(host: str, port: int) -> list[str]:
    return import_string(settings.WEBHOOK_RESOLVER)(host, port)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's address
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why webhooks may not go to `address` (a few words), or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and (inner := _embedded_ipv4(address)) is not None:
        reason = refusal(inner)
        return f"{reason} (inside an IPv6 address)" if reason else None
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private or (isinstance(address, ipaddress.IPv4Address) and address in SHARED):
        return "a private address"
    if not address.is_global:
        return "an address that is not public"
    return None


def parse_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path-and-query) of a webhook URL, or UnsafeUrl saying what is wrong."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(f"A URL has at most {MAX_URL_LENGTH} characters.")
    if any(ord(char) <= 0x20 or ord(char) == 0x7F for char in url) or not url.isascii():
        raise UnsafeUrl("A URL has no spaces, control characters or non-ASCII characters (percent-encode them).")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("Not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UnsafeUrl("The URL must start with https://.")
    if scheme == "http" and not settings.WEBHOOK_ALLOW_HTTP:
        raise UnsafeUrl("The URL must use https:// (http:// is not allowed here).")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("The URL may not carry a user name or password.")
    host = parts.hostname
    if not host:
        raise UnsafeUrl("The URL has no host.")
    if port == 0:
        raise UnsafeUrl("Not a valid port.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check_url(url: str) -> Target:
    """The URL's target with its approved addresses, or UnsafeUrl saying why it is refused."""
    scheme, host, port, path = parse_url(url)
    try:
        found = resolve(host, port)
    except (OSError, UnicodeError):
        raise UnsafeUrl(f"The host {host} could not be resolved.") from None
    addresses = []
    for text in found:
        address = ipaddress.ip_address(text.split("%", 1)[0])  # no IPv6 zone
        if not settings.WEBHOOK_ALLOW_PRIVATE and (reason := refusal(address)):
            raise UnsafeUrl(f"The host {host} resolves to {reason} ({address}); webhooks go to public addresses.")
        addresses.append(text)
    if not addresses:
        raise UnsafeUrl(f"The host {host} could not be resolved.")
    return Target(scheme, host, port, path, tuple(dict.fromkeys(addresses)))
