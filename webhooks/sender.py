"""One webhook attempt: a POST to the subscription's URL, over a connection to an address the
SSRF guard approved just now (webhooks.addresses), with no redirect followed and one deadline
for the whole exchange, from connecting to the status line.

The deadline is kept by a timer that shuts the socket down when it expires, so a receiver that
trickles its answer a byte at a time cannot hold the worker past it. The response's body is
never read: the status code is the answer, and a huge body costs nothing.
"""

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass

from webhooks import addresses

USER_AGENT = "MechanicShop-Webhooks/1.0"


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str  # empty when delivered

    @property
    def delivered(self) -> bool:
        return not self.error


class _PinnedConnection(http.client.HTTPConnection):
    """http.client over a socket connected (and wrapped in TLS) beforehand."""

    def __init__(self, host: str, port: int, sock: socket.socket, default_port: int):
        super().__init__(host, port)
        self.default_port = default_port  # Host: names the port only when it is not the scheme's
        self._connected = sock

    def connect(self) -> None:
        self.sock = self._connected


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _connect(target: addresses.Target, expires: float) -> socket.socket:
    """A socket connected to the first approved address that answers, TLS-wrapped for https."""
    error: OSError = ConnectionError("no address")
    for address in target.addresses:
        remaining = expires - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(remaining)
        try:
            sock.connect((address, target.port))
        except OSError as exc:
            sock.close()
            error = exc
            continue
        if target.scheme == "https":
            try:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
            except OSError:
                sock.close()
                raise
        return sock
    raise error


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"The receiver's TLS certificate is not valid: {exc.verify_message}."
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused."
    if isinstance(exc, http.client.RemoteDisconnected):
        return "The receiver closed the connection without answering."
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return "The receiver reset the connection."
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Outcome:
    """POST `body` to `url`; delivered when a 2xx status line arrives within `timeout` seconds."""
    try:
        target = addresses.check_url(url)
    except addresses.UnsafeUrl as exc:
        return Outcome(None, f"Not sent: {exc}")
    expires = time.monotonic() + timeout
    expired = threading.Event()
    current: list[socket.socket] = []

    def expire() -> None:
        expired.set()
        for sock in current:
            _shutdown(sock)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        sock = _connect(target, expires)
        current.append(sock)
        if expired.is_set():  # the timer fired between connecting and the append
            _shutdown(sock)
        default_port = 443 if target.scheme == "https" else 80
        connection = _PinnedConnection(target.host, target.port, sock, default_port)
        try:
            connection.request(
                "POST",
                target.path,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
            status = connection.getresponse().status
        finally:
            connection.close()
    except (OSError, http.client.HTTPException) as exc:
        # The socket's own timeout (set to the time left) may fire a moment before the timer.
        if expired.is_set() or isinstance(exc, TimeoutError):
            return Outcome(None, f"No answer within {timeout:g} s.")
        return Outcome(None, _describe(exc))
    finally:
        timer.cancel()
        for sock in current:
            sock.close()
    if 200 <= status < 300:
        return Outcome(status, "")
    if 300 <= status < 400:
        return Outcome(status, f"The receiver answered {status}; redirects are not followed.")
    return Outcome(status, f"The receiver answered {status}.")
