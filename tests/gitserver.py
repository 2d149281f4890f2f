"""Real git transports on loopback for tests, each a context manager on a free port.

- ``GitDaemon``: ``git daemon`` serving every repository under a root (git://).
- ``GitHttpServer``: ``git http-backend`` behind a threaded ``http.server`` (smart
  HTTP, protocol v2, partial-clone filters); optional basic auth answering 401;
  optional throttling so a transfer takes a while; records every request.
- Servers that misbehave on purpose (redirects, stalls, cut transfers) are in
  ``tests.hostile_servers``.

Every server stops cleanly on ``__exit__`` (processes are killed by process
group and reaped; threads joined). Served repositories need no special config:
``uploadpack.allowFilter`` is passed to upload-pack through the environment.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

# upload-pack reads these from its environment (GIT_CONFIG_COUNT): filters and v2 on.
SERVE_CONFIG = {
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "uploadpack.allowFilter",
    "GIT_CONFIG_VALUE_0": "true",
    "GIT_CONFIG_KEY_1": "protocol.version",
    "GIT_CONFIG_VALUE_1": "2",
}


def allow_loopback(settings, *, mirrors: Path, file_root: Path | None = None) -> None:
    """Let ``gates.git`` reach these servers: loopback is refused by default."""
    settings.MLTRL_GIT_ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    settings.MLTRL_GIT_ALLOWED_SCHEMES = ["https", "http", "git", "ssh"]
    settings.MLTRL_GIT_MIRROR_DIR = str(mirrors)
    settings.MLTRL_GIT_FILE_ROOT = str(file_root) if file_root else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (connection refused)."""
    return free_port(host)


def _server_env(home: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        **SERVE_CONFIG,
    }


def _wait_listening(host: str, port: int, process: subprocess.Popen | None = None) -> None:
    # A condition with a generous deadline: on a loaded machine a server starts slowly.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port}")


class GitDaemon:
    """``git daemon`` exporting every repository under ``root`` at ``git://host:port/<name>``."""

    def __init__(self, root: Path, host: str = "127.0.0.1", *, informative_errors: bool = True):
        self.root = Path(root)
        self.host = host
        self.informative_errors = informative_errors
        self.port = 0
        self.process: subprocess.Popen | None = None
        self._home = tempfile.TemporaryDirectory(prefix="gitdaemon-home-")

    def url(self, name: str) -> str:
        return f"git://{self.host}:{self.port}/{name}"

    def __enter__(self) -> GitDaemon:
        self.port = free_port(self.host)
        command = [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={self.root}",
            "--export-all",
            f"--listen={self.host}",
            f"--port={self.port}",
        ]
        if self.informative_errors:
            command.append("--informative-errors")
        command.append(str(self.root))
        self.process = subprocess.Popen(
            command,
            env=_server_env(self._home.name),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_listening(self.host, self.port, self.process)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            self.process = None
        self._home.cleanup()


class ThreadedServer:
    """A ``ThreadingHTTPServer`` run in a thread; subclasses give the handler."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = 0
        self.requests: list[str] = []  # "METHOD /path?query", in order
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append(f"{method} {path}")

    def handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, name: str) -> str:
        return f"{self.base()}/{name}"

    def __enter__(self):
        self._server = ThreadingHTTPServer((self.host, 0), self.handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        body = bytearray()
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(body)
            body += handler.rfile.read(size)
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _parse_cgi(output: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    head, sep, body = output.partition(b"\r\n\r\n")
    if not sep:
        head, _, body = output.partition(b"\n\n")
    status, headers = 200, []
    for line in head.decode("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.lower() == "status":
            status = int(value.strip().split()[0])
        elif name:
            headers.append((name.strip(), value.strip()))
    return status, headers, body


class GitHttpServer(ThreadedServer):
    """Smart HTTP through ``git http-backend`` for every repository under ``root``.

    ``auth=("user", "pw")`` answers 401 to requests without those credentials;
    ``throttle_bps`` sends responses at about that many bytes per second.
    """

    def __init__(
        self,
        root: Path,
        host: str = "127.0.0.1",
        *,
        auth: tuple[str, str] | None = None,
        throttle_bps: int | None = None,
    ):
        super().__init__(host)
        self.root = Path(root)
        self.auth = auth
        self.throttle_bps = throttle_bps
        self.protocols: list[str] = []  # the Git-Protocol header of each request
        self._home = tempfile.TemporaryDirectory(prefix="githttp-home-")

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        self._home.cleanup()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                server.record(self.command, self.path)
                server.protocols.append(self.headers.get("Git-Protocol", ""))
                body = _read_body(self) if self.command == "POST" else b""
                if server.auth is not None and not self._authorised():
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, headers, payload = server.backend(self, body)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                # A client killed mid-transfer (timeout, size cap) is expected here.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.send(self.wfile, payload)

            def _authorised(self) -> bool:
                user, password = server.auth
                token = base64.b64encode(f"{user}:{password}".encode()).decode()
                return self.headers.get("Authorization", "") == f"Basic {token}"

        return Handler

    def backend(self, request: BaseHTTPRequestHandler, body: bytes):
        parts = urlsplit(request.path)
        env = {
            **_server_env(self._home.name),
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": unquote(parts.path),
            "QUERY_STRING": parts.query,
            "REQUEST_METHOD": request.command,
            "CONTENT_TYPE": request.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": request.client_address[0],
        }
        if request.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = request.headers["Git-Protocol"]
        if request.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = request.headers["Content-Encoding"]
        done = subprocess.run(
            ["git", "http-backend"],
            input=body,
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
        return _parse_cgi(done.stdout)

    def send(self, wfile, payload: bytes) -> None:
        if not self.throttle_bps:
            wfile.write(payload)
            return
        step = max(1, self.throttle_bps // 20)
        for start in range(0, len(payload), step):
            wfile.write(payload[start : start + step])
            wfile.flush()
            time.sleep(0.05)
