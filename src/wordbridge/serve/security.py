"""Guards for the web app: request body limits (413), security headers (uploads: serve/decoding.py).

Both middlewares are plain ASGI so that they never buffer or wrap streaming responses.
"""

import io
from pathlib import Path

from fastapi import HTTPException
from PIL import Image

from wordbridge.serve.decoding import BadImage

IMAGE_MEDIA_TYPES = {
    ".bmp": "image/bmp",
    ".gif": "image/gif",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".jfif": "image/jpeg",
}
CONVERT_TO_PNG = (".tif", ".tiff", ".ppm", ".pgm")  # gallery formats browsers do not show: sent as PNG
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around an uploaded file


class TooLarge(HTTPException):
    """A request body beyond its limit: FastAPI re-raises an HTTPException met while reading the body -> 413."""

    def __init__(self, limit: int):
        super().__init__(status_code=413, detail=f"request body too large (limit {limit} bytes)")


def as_png(path: Path, max_pixels: int) -> bytes:
    """A gallery file in a format browsers do not show (TIFF, PPM/PGM), re-encoded as PNG."""
    with Image.open(path) as image:
        if image.size[0] * image.size[1] > max_pixels:
            raise BadImage(f"{path.name} is too large to convert")
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


class BodyLimitMiddleware:
    """Refuses request bodies over a limit with 413, before the app reads them.

    `limits` maps a path to its limit; other paths get `default`. Content-Length is checked up front; a chunked body
    is counted as it streams in.
    """

    def __init__(self, app, default: int, limits: dict[str, int] | None = None):
        self.app = app
        self.default = default
        self.limits = limits or {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        length = _content_length(scope)
        if length is not None and length > limit:
            await _send_413(send, limit)
            return
        seen = 0
        started = False

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise TooLarge(limit)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except TooLarge:
            if not started:
                await _send_413(send, limit)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(send, limit: int) -> None:
    body = b'{"detail":"request body too large (limit %d bytes)"}' % limit
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

# /docs and /redoc: FastAPI's pages start Swagger UI / ReDoc with an inline script and the UIs set inline styles;
# every script, style and request stays on this server (the files come from the fastapi-offline package)
DOCS_STATIC = "/docs-static"
DOCS_PATHS = ("/docs", "/redoc", DOCS_STATIC + "/")
DOCS_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class SecurityHeadersMiddleware:
    """nosniff / no-referrer / no framing on every response; a strict CSP on the page and its static files, a
    same-origin one on the API docs."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        csp = None
        if path == "/" or path.startswith("/static/"):
            csp = PAGE_CSP
        elif path.startswith(DOCS_PATHS):
            csp = DOCS_CSP

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if csp is not None:
                    headers.append((b"content-security-policy", csp.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
