"""Servers that misbehave on purpose, for the git safety and failure-message tests.

- ``RedirectServer``: answers every request with 302 to another base URL and
  records the requests it saw.
- ``StallServer``: accepts connections and never answers (or sends a few bytes
  first, then nothing); ``DripServer`` answers a byte at a time, forever.
- ``CutProxy``: forwards to an upstream and cuts the connection after a number
  of bytes (a transfer broken half-way).
- ``child_pids``: this process's live children, to prove no git was left running.

The well-behaved transports (git daemon, git http-backend) are in ``tests.gitserver``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.gitserver import ThreadedServer


class RedirectServer(ThreadedServer):
    """Answers every request with ``302 Location: <target><path>``."""

    def __init__(self, target: str, host: str = "127.0.0.1"):
        super().__init__(host)
        self.target = target.rstrip("/")

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                server.record(self.command, self.path)
                self.send_response(302)
                self.send_header("Location", server.target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_GET

        return Handler


class StallServer:
    """Accepts TCP connections, sends ``first_bytes`` (maybe none), then never answers."""

    def __init__(self, host: str = "127.0.0.1", first_bytes: bytes = b""):
        self.host = host
        self.first_bytes = first_bytes
        self.port = 0
        self.accepted = 0
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def url(self, name: str, scheme: str = "http") -> str:
        return f"{scheme}://{self.host}:{self.port}/{name}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            self._connections.append(connection)
            if self.first_bytes:
                with contextlib.suppress(OSError):
                    connection.sendall(self.first_bytes)

    def __enter__(self) -> StallServer:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self._connections:
            connection.close()
        self._listener.close()


class DripServer(StallServer):
    """Starts an HTTP answer and then sends one header byte every ``every`` seconds, forever
    (each read gets something, so only an overall deadline ends the exchange)."""

    def __init__(self, host: str = "127.0.0.1", every: float = 0.2):
        super().__init__(host, first_bytes=b"HTTP/1.1 200 OK\r\nX-Slow: ")
        self.every = every

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            self._connections.append(connection)
            threading.Thread(target=self._drip, args=(connection,), daemon=True).start()

    def _drip(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            connection.sendall(self.first_bytes)
            while not self._stop.wait(self.every):
                connection.sendall(b"x")


def child_pids() -> set[int]:
    """Live (non-zombie) processes whose parent is this test process."""
    me = os.getpid()
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == me and fields[0] != "Z":
            found.add(int(entry))
    return found


class CutProxy:
    """A TCP proxy to ``upstream`` (host, port) that cuts every connection once
    ``cut_after`` bytes in all have gone back to the client: a transfer broken
    part-way, as a dropped connection or a crashed server leaves it."""

    def __init__(self, upstream: tuple[str, int], cut_after: int, host: str = "127.0.0.1"):
        self.upstream = upstream
        self.cut_after = cut_after
        self.host = host
        self.port = 0
        self.sent = 0
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def url(self, name: str, scheme: str = "http") -> str:
        return f"{scheme}://{self.host}:{self.port}/{name}"

    def _pipe(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        with contextlib.suppress(OSError):
            while not self._stop.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if counted:
                    with self._lock:
                        room = self.cut_after - self.sent
                        self.sent += len(data)
                    if room <= len(data):
                        target.sendall(data[: max(room, 0)])
                        break
                target.sendall(data)
        for sock in (source, target):
            # shutdown wakes the other direction's blocked recv at once (close would not).
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            upstream = socket.create_connection(self.upstream)
            for args in ((client, upstream, False), (upstream, client, True)):
                thread = threading.Thread(target=self._pipe, args=args, daemon=True)
                thread.start()
                self._threads.append(thread)

    def __enter__(self) -> CutProxy:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)
