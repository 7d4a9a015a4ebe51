"""`wordbridge serve`: the web app and REST API (translation with attention, image search, French -> images)."""

import argparse

from wordbridge.errors import ConfigError
from wordbridge.serve.config import ServeSettings
from wordbridge.serve.server import serve


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "serve",
        help="web page + REST API over a translation run (and a DeViSE index)",
        description="Serve the translation model (and DeViSE image search) as a web page and a REST API "
        "(OpenAPI at /openapi.json, docs at /docs). Models load once at start-up.",
    )
    p.add_argument("--run", required=True, action="append", metavar="RUN_DIR",
                   help="translation run folder (wordbridge train) or its CTranslate2 export (wordbridge export); "
                        "repeat to serve several (the API's `model` field picks one by folder name; the default "
                        "is the run with the best validation BLEU), e.g. --run runs/demo-gru --run runs/demo")
    p.add_argument("--engine", default="auto", choices=("auto", "torch", "ctranslate2"),
                   help="decoding engine: torch (the run's checkpoint), ctranslate2 (a `wordbridge export` folder, "
                        "given as --run or found in RUN_DIR/ctranslate2), auto (default: the export where present)")
    p.add_argument("--devise", metavar="DEVISE_RUN", help="DeViSE run folder (with --index)")
    p.add_argument("--index", metavar="INDEX", help="DeViSE image index folder (with --devise)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--device", default=None, help="torch device for the models (default: cuda if available, else cpu)")
    p.add_argument("--int8", action=argparse.BooleanOptionalAction, default=None,
                   help="decode translations with dynamic int8 weights (default: on when the model runs on the CPU; "
                        "--no-int8 keeps fp32)")
    p.add_argument("--max-upload-mb", type=float, default=10.0, help="largest image upload, MB (default 10)")
    p.add_argument(
        "--cors-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allow cross-origin calls from ORIGIN (repeatable; CORS is off by default)",
    )
    p.add_argument("--no-batching", action="store_true", help="decode every translation request on its own")
    p.add_argument("--max-batch", type=int, default=32, help="texts decoded together at most (default 32)")
    p.add_argument(
        "--batch-wait-ms", type=float, default=5.0, help="how long a request waits for others to join (default 5)"
    )
    d = ServeSettings()
    p.add_argument("--max-translate-cost", type=int, default=d.max_translate_cost, metavar="N",
                   help=f"characters x beam one translation request may ask for; 413 beyond (default "
                        f"{d.max_translate_cost}: 64 texts of 1,000 characters greedy, or 6,400 characters at beam 10)")
    p.add_argument("--max-decodes", type=int, default=d.max_decodes, metavar="N",
                   help=f"image uploads decoded at once, off the event loop (default {d.max_decodes})")
    p.add_argument("--max-decode-mpixels", type=float, default=d.max_decode_pixels / 1e6, metavar="MP",
                   help=f"largest image decoded, megapixels; JPEGs shrink while decoding first (default "
                        f"{d.max_decode_pixels / 1e6:g})")
    p.add_argument("--header-timeout", type=float, default=d.header_timeout_s, metavar="S",
                   help=f"seconds a connection has to send a request's headers; closed otherwise (default "
                        f"{d.header_timeout_s:g})")
    p.add_argument("--keep-alive", type=float, default=d.keep_alive_s, metavar="S",
                   help=f"seconds an idle keep-alive connection stays open (default {d.keep_alive_s:g})")
    p.add_argument("--max-header-kb", type=float, default=d.max_header_bytes / 1024, metavar="KB",
                   help=f"largest request head (line + headers), KB (default {d.max_header_bytes // 1024})")
    p.add_argument("--max-connections", type=int, default=d.max_connections, metavar="N",
                   help=f"open connections at most; requests beyond answer 503 (default {d.max_connections})")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.max_upload_mb <= 0:
        raise ConfigError(f"Invalid --max-upload-mb {args.max_upload_mb}: expected a positive number.")
    if args.max_batch < 1 or args.batch_wait_ms < 0:
        raise ConfigError("Invalid batching options: --max-batch must be >= 1 and --batch-wait-ms >= 0.")
    limits = {"--max-translate-cost": args.max_translate_cost, "--max-decodes": args.max_decodes,
              "--max-decode-mpixels": args.max_decode_mpixels, "--header-timeout": args.header_timeout,
              "--keep-alive": args.keep_alive, "--max-header-kb": args.max_header_kb,
              "--max-connections": args.max_connections}
    for flag, value in limits.items():
        if not value > 0:
            raise ConfigError(f"Invalid {flag} {value}: expected a positive number.")
    settings = ServeSettings(
        max_translate_cost=args.max_translate_cost,
        max_decodes=args.max_decodes,
        max_decode_pixels=int(args.max_decode_mpixels * 1e6),
        header_timeout_s=args.header_timeout,
        keep_alive_s=args.keep_alive,
        max_header_bytes=int(args.max_header_kb * 1024),
        max_connections=args.max_connections,
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        cors_origins=tuple(args.cors_origin),
        batching=not args.no_batching,
        max_batch=args.max_batch,
        batch_wait_ms=args.batch_wait_ms,
    )
    serve(args.run, args.devise, args.index, host=args.host, port=args.port, settings=settings, device=args.device,
          engine=args.engine, int8=args.int8)
    return 0
