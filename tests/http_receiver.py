"""A real HTTP receiver on loopback (threaded ``http.server``) for outgoing webhooks.

It keeps every POST (path, headers, body) and answers each with a status: a
fixed one, a script (``statuses``: one per request, the last repeated), or
``answer(headers, body) -> status`` (a receiver that verifies signatures).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(
        self,
        status: int = 204,
        *,
        statuses: Sequence[int] | None = None,
        answer: Callable[[dict, bytes], int] | None = None,
    ):
        self.received: list[tuple[str, dict, bytes]] = []
        self._lock = threading.Lock()
        script = list(statuses or [status])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = dict(self.headers)
                with receiver._lock:
                    index = len(receiver.received)
                    receiver.received.append((self.path, headers, body))
                code = answer(headers, body) if answer else script[min(index, len(script) - 1)]
                reply = f"answer {index + 1}: {code}".encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
