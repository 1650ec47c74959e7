"""A local HTTP server for the ingest tests: serves recorded EES files and fake API responses,
never the network. Each route is a path -> (status, body bytes, content type, cut) where ``cut``
sends a Content-Length larger than the body and closes early (a truncated download); a route
served with ``endless=True`` sends its body over and over, without a Content-Length, until the
client hangs up (an endless download)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Server:
    """Routes served on 127.0.0.1 at a free port, until ``close``."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes, str, bool, dict]] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                status, body, kind, cut, headers = routes.get(
                    self.path, (404, b"not found", "text/plain", False, {}))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                for name, value in headers.items():
                    self.send_header(name, value)
                if cut == "endless":
                    self.end_headers()
                    try:
                        while True:
                            self.wfile.write(body)
                    except OSError:  # the client stopped reading and hung up
                        return
                self.send_header("Content-Length", str(len(body) + (100 if cut else 0)))
                self.end_headers()
                self.wfile.write(body)
                if cut:
                    self.close_connection = True

            def log_message(self, *args):  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, body: bytes | str, *, status: int = 200,
              kind: str = "text/csv", cut: bool = False, headers: dict | None = None,
              endless: bool = False) -> str:
        """Serve ``body`` at ``path`` (with its query string); return its full address."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, data, kind, "endless" if endless else cut,
                             dict(headers or {}))
        return self.url + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
