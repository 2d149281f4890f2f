"""Servers the fault tests own: a private Redis and a TCP proxy they can cut.

Never the shared Redis or PostgreSQL: a test that restarts a broker starts its
own ``redis-server`` (no persistence) on a free port; a test that takes the
database away points the worker at a ``TcpProxy`` in front of PostgreSQL and
cuts that.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.gitserver import free_port

from .worker import wait_for


class PrivateRedis:
    """``redis-server`` on 127.0.0.1:<free port>, persistence off; stop and start it at will."""

    def __init__(self, folder: Path):
        if shutil.which("redis-server") is None:
            pytest.skip("needs redis-server (Debian package redis-server)")
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115  (owned by the process)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        wait_for(self.ping, timeout=60, interval=0.05, what="the private redis-server")

    def stop(self) -> None:
        """Stop it for good (SIGKILL: nothing is saved; queued messages are gone)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=2).ping())
        except redis.RedisError:
            return False

    def queue_length(self, queue: str) -> int:
        import redis

        return int(redis.Redis(port=self.port, socket_timeout=5).llen(queue))

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class TcpProxy:
    """Forwards 127.0.0.1:<port> to ``target``; can cut, refuse and slow the traffic.

    ``cut(refuse=True)`` closes every open connection and answers new ones by
    closing them at once (the server is down), counting them in ``refused``;
    ``cut(refuse=False)`` only drops the open ones (the server restarted).
    ``restore()`` forwards again. ``rate`` (bytes per second from the server,
    None for unlimited) slows a transfer so a test can act in the middle of it.
    """

    CHUNK = 4096

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self.refused = 0
        self.accepted = 0
        self.rate: float | None = None
        self._refusing = False
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._stop = threading.Event()
        self._listener: socket.socket | None = None

    def __enter__(self) -> TcpProxy:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._drop_all()
        self._listener.close()

    def cut(self, *, refuse: bool = True) -> None:
        self._refusing = refuse
        self._drop_all()

    def restore(self) -> None:
        self._refusing = False

    def _drop_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self._refusing:
                self.refused += 1
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            self.accepted += 1
            with self._lock:
                self._open += [client, server]
            for source, sink, limited in ((client, server, False), (server, client, True)):
                threading.Thread(
                    target=self._pump, args=(source, sink, limited), daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket, limited: bool) -> None:
        try:
            while True:
                data = source.recv(self.CHUNK)
                if not data:
                    break
                rate = self.rate
                if limited and rate:
                    time.sleep(len(data) / rate)  # the throttle itself, not a wait
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
