"""Typed settings of the web app (`wordbridge serve` flags map onto them): request limits, CORS, micro-batching."""

import dataclasses

from wordbridge import defaults


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    max_upload_bytes: int = 10 * 1024 * 1024  # image uploads; 413 beyond
    max_json_bytes: int = 1024 * 1024  # any other request body; 413 beyond
    max_image_pixels: int = 40_000_000  # decoded size of an upload; 400 beyond (decompression bombs)
    cors_origins: tuple[str, ...] = ()  # CORS is off unless origins are given
    batching: bool = True  # micro-batch concurrent translation requests
    max_batch: int = 32  # texts decoded together at most
    batch_wait_ms: float = 5.0  # how long the first request of a batch waits for company
    model: str | None = None  # the translation run in use, as the page shows it (/health)
    beam: int = defaults.BEAM  # the page's and the API's default beam size
