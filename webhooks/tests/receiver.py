"""A webhook receiver for tests: an HTTP server on 127.0.0.1 (a port the system picks) that
records every request it gets and answers as the test says, in threads of its own."""

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names lowercased
    body: bytes
    at: float  # time.time() when the body was in

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")


# An answer: given the handler and the request number (0 for the first), writes the response.
Answer = Callable[[BaseHTTPRequestHandler, int], None]


def status(code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    def answer(handler: BaseHTTPRequestHandler, number: int) -> None:
        handler.send_response(code)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def reset(handler: BaseHTTPRequestHandler, number: int) -> None:
    """Close the connection with a TCP reset instead of answering."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    handler.connection.close()
    handler.close_connection = True


def hold(released: threading.Event, then: Answer | None = None) -> Answer:
    """Answer nothing until `released` is set (or 60 s pass), then answer `then` (default 200)."""

    def answer(handler: BaseHTTPRequestHandler, number: int) -> None:
        released.wait(60)
        try:
            (then or status(200))(handler, number)
        except OSError:
            pass  # the sender gave up meanwhile

    return answer


def trickle(seconds_per_byte: float, total_bytes: int = 100) -> Answer:
    """A status line sent one byte at a time: a receiver that never quite answers."""

    def answer(handler: BaseHTTPRequestHandler, number: int) -> None:
        line = b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"a" * total_bytes + b"\r\n\r\n"
        try:
            for byte in line:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(seconds_per_byte)
        except OSError:
            pass
        handler.close_connection = True

    return answer


def sequence(*answers: Answer) -> Callable[[int], Answer]:
    """The n-th request gets the n-th answer; requests past the last get the last."""
    return lambda number: answers[min(number, len(answers) - 1)]


class Receiver:
    def __init__(self, answers: Callable[[int], Answer] | None = None, path: str = "/hook"):
        self.answers = answers or (lambda number: status(200))
        self.path = path
        self.requests: list[Received] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                with receiver._changed:
                    number = len(receiver.requests)
                    receiver.requests.append(received)
                    receiver._changed.notify_all()
                receiver.answers(number)(self, number)

            def log_message(self, format, *args) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def wait_for(self, condition: Callable[[list[Received]], bool], timeout: float = 30) -> bool:
        """Block until condition(requests) holds, or `timeout` seconds pass (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: condition(self.requests), timeout)

    def wait_for_count(self, count: int, timeout: float = 30) -> bool:
        return self.wait_for(lambda requests: len(requests) >= count, timeout)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Receiver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
