"""Typed settings of the web app (`wordbridge serve` flags map onto them): request limits, CORS, micro-batching, and
the connection limits that keep the server responsive under slow or greedy clients (serve/limits.py)."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    max_upload_bytes: int = 10 * 1024 * 1024  # image uploads; 413 beyond
    max_json_bytes: int = 1024 * 1024  # any other request body; 413 beyond
    max_image_pixels: int = 40_000_000  # size of an upload by its header; 400 beyond (decompression bombs)
    max_decode_pixels: int = 16_000_000  # pixels actually decoded (JPEGs shrink while decoding first); 400 beyond
    max_decodes: int = 2  # uploads decoded at once, in their own threads (more wait; beyond 8 waiting: 503)
    max_translate_cost: int = 64_000  # characters x beam of one translation request; 413 beyond
    cors_origins: tuple[str, ...] = ()  # CORS is off unless origins are given
    batching: bool = True  # micro-batch concurrent translation requests
    max_batch: int = 32  # texts decoded together at most
    batch_wait_ms: float = 5.0  # how long the first request of a batch waits for company
    header_timeout_s: float = 10.0  # a connection must send a whole request head within this; closed otherwise
    keep_alive_s: float = 5.0  # an idle keep-alive connection is closed after this
    max_header_bytes: int = 16 * 1024  # request line + headers; 400 beyond
    max_connections: int = 256  # open connections; requests beyond answer 503
