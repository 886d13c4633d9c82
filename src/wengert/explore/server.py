"""The explorer's local web server: the standard library's `ThreadingHTTPServer`, bound to 127.0.0.1 only.

* ``GET /`` the page; ``GET /static/<file>`` its stylesheet and script;
* ``POST /api/trace`` with ``{"expr": "...", "at": {"x": 1.0}}`` answers the
  model (`explore_expression`), or ``{"error": "..."}`` with status 422 for an
  expression the safe parser refuses (nothing is evaluated then). A body over
  `MAX_BODY` bytes is refused with 413, malformed JSON with 400; the server
  keeps serving.
"""

from __future__ import annotations

import json
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .model import ExplorerError, error_model, explore_expression
from .page import STATIC, server_page

HOST = "127.0.0.1"
MAX_BODY = 16 * 1024  # bytes
_CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".html": "text/html"}


class ExplorerServer(ThreadingHTTPServer):
    """The server: remembers the expression the page starts with."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, expr: str | None, at: dict[str, float] | None, layout: str) -> None:
        super().__init__((HOST, port), ExplorerHandler)
        self.expr = expr
        self.at = at
        self.layout = layout

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>/``."""
        return f"http://{HOST}:{self.server_address[1]}/"


class ExplorerHandler(BaseHTTPRequestHandler):
    """Answers the page, its files and ``/api/trace``."""

    server: ExplorerServer
    server_version = "wengert-explore"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the base class's name)
        pass  # quiet: the terminal shows the URL and errors only

    def _send(self, status: int, body: bytes, content_type: str, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, data: dict[str, Any], close: bool = False) -> None:
        body = json.dumps(data, ensure_ascii=False, allow_nan=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", close)

    def do_GET(self) -> None:  # noqa: N802  (the base class's name)
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            page = server_page(self.server.expr, self.server.at)
            self._send(HTTPStatus.OK, page.encode("utf-8"), "text/html; charset=utf-8")
            return
        if path.startswith("/static/"):
            name = path[len("/static/") :]
            file = STATIC / name
            if "/" not in name and "\\" not in name and not name.startswith(".") and file.is_file():
                content_type = _CONTENT_TYPES.get(file.suffix, "application/octet-stream")
                self._send(HTTPStatus.OK, file.read_bytes(), content_type)
                return
        self._send_json(HTTPStatus.NOT_FOUND, error_model(f"no such page: {path}"))

    def do_POST(self) -> None:  # noqa: N802
        path = self.path.split("?", 1)[0]
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self._send_json(HTTPStatus.LENGTH_REQUIRED, error_model("send a Content-Length header"), close=True)
            return
        try:
            length = int(length_header)
            if length < 0:
                raise ValueError
        except ValueError:
            self._send_json(HTTPStatus.BAD_REQUEST, error_model("the Content-Length is not a number"), close=True)
            return
        if length > MAX_BODY:
            message = f"the request body has {length} bytes; at most {MAX_BODY} are accepted"
            self._send_json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, error_model(message), close=True)
            return
        body = self.rfile.read(length)
        if path != "/api/trace":
            self._send_json(HTTPStatus.NOT_FOUND, error_model(f"no such endpoint: {path}"))
            return
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            self._send_json(HTTPStatus.BAD_REQUEST, error_model(f"the request is not valid JSON: {error}"))
            return
        if not isinstance(request, dict) or not isinstance(request.get("expr"), str):
            message = 'the request must be a JSON object {"expr": "...", "at": {"x": 1.0}}'
            self._send_json(HTTPStatus.BAD_REQUEST, error_model(message))
            return
        status, answer = trace_request(request["expr"], request.get("at"), self.server.layout)
        self._send_json(status, answer)


def trace_request(expr: str, at: Any, layout: str = "auto") -> tuple[int, dict[str, Any]]:
    """The status and the answer of ``/api/trace``: the model, or an error with 422 (refused) or 500.

    Example:
        >>> trace_request("__import__('os').system('echo hi')", {})[0]
        422
    """
    from ..teach.expression import ExpressionError

    try:
        return int(HTTPStatus.OK), explore_expression(expr, at, layout=layout)
    except (ExpressionError, ExplorerError) as error:
        return int(HTTPStatus.UNPROCESSABLE_ENTITY), error_model(str(error))
    except (RecursionError, MemoryError):
        return int(HTTPStatus.UNPROCESSABLE_ENTITY), error_model("the expression is too large to evaluate")
    except Exception as error:  # an engine failure: say what, keep serving
        print(f"wengert explore: {type(error).__name__}: {error}", file=sys.stderr)
        return int(HTTPStatus.INTERNAL_SERVER_ERROR), error_model(f"the engine failed: {type(error).__name__}: {error}")


def make_server(
    port: int = 0, expr: str | None = None, at: dict[str, float] | None = None, layout: str = "auto"
) -> ExplorerServer:
    """A server on 127.0.0.1 (``port=0``: any free port), not yet serving.

    Example:
        >>> server = make_server()
        >>> server.server_address[0]
        '127.0.0.1'
        >>> server.server_close()
    """
    return ExplorerServer(port, expr, at, layout)


def serve(
    expr: str | None = None,
    at: dict[str, float] | None = None,
    port: int = 8765,
    open_browser: bool = True,
    layout: str = "auto",
) -> None:
    """Serve the explorer until Ctrl-C (then shut down cleanly), opening the page in the browser."""
    server = make_server(port, expr, at, layout)
    print(f"wengert explore: serving {server.url}  (Ctrl-C stops)", flush=True)
    if open_browser:
        import webbrowser

        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        print("\nwengert explore: stopped", flush=True)
    finally:
        server.server_close()
