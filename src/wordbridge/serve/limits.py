"""Connection and request limits of the web server: what a slow, silent or greedy client may hold.

uvicorn closes an idle keep-alive connection only after a response (`timeout_keep_alive`), and any byte received
cancels that timer: a socket that connects and says nothing, or sends its headers a byte at a time, is held for
ever. `head_deadline_protocol` adds one deadline per request head, counted from the connection (or from the end of
the previous response) and not reset by partial data; `uvicorn_options` wires it with the header size cap, the
connection cap and no `server:` header. `check_translation_cost` bounds what one translation request may ask of
the single translation worker.
"""

import asyncio

from fastapi import HTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

from wordbridge.serve.config import ServeSettings


class _HeadDeadline(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is not complete `head_timeout` seconds after
    it connected or after its previous response."""

    head_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
        if not self.transport.is_closing():
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_deadline_passed)

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _head_deadline_passed(self) -> None:
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()


def head_deadline_protocol(seconds: float) -> type[H11Protocol]:
    """The h11 protocol class with a `seconds` deadline for each request head."""
    return type("HeadDeadlineH11Protocol", (_HeadDeadline,), {"head_timeout": float(seconds)})


def uvicorn_options(settings: ServeSettings) -> dict:
    """Keyword arguments of uvicorn.run / uvicorn.Config for these settings (besides app, host, port)."""
    return {
        "http": head_deadline_protocol(settings.header_timeout_s),
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "limit_concurrency": settings.max_connections,
        "server_header": False,  # no `server: uvicorn`: nothing to fingerprint
        "log_config": None,
        "access_log": False,
    }


def translation_cost(texts: list[str], beam: int) -> int:
    """Characters x beam: about how much decoding a request asks for."""
    return sum(len(text) for text in texts) * max(1, beam)


def check_translation_cost(texts: list[str], beam: int, limit: int) -> None:
    """413 with a clear JSON error when one request asks for more than `limit` characters x beam."""
    cost = translation_cost(texts, beam)
    if cost > limit:
        chars = sum(len(text) for text in texts)
        raise HTTPException(413, f"translation request too large: {len(texts)} text(s), {chars:,} characters x beam "
                                 f"{beam} = {cost:,}; at most {limit:,} per request (send fewer or shorter texts, "
                                 f"or use a smaller beam)")
