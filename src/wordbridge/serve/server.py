"""Start the web app: load the models once, check the address, run uvicorn."""

import ipaddress
import logging
import socket
from pathlib import Path
from typing import Sequence

import uvicorn
from PIL import Image

from wordbridge import results
from wordbridge.errors import ConfigError
from wordbridge.text import direction
from wordbridge.serve.app import create_app
from wordbridge.serve.config import ServeSettings
from wordbridge.serve.limits import uvicorn_options
from wordbridge.serve.models import ModelSet, RunInfo, load_model_set

log = logging.getLogger(__name__)


def load_models(
    run_dirs: Sequence[str | Path] | None,
    devise_run: str | Path | None = None,
    index_dir: str | Path | None = None,
    device: str | None = None,
    engine: str = "auto",
    int8: bool | None = None,
) -> tuple[ModelSet | None, results.Searcher | None]:
    """(models, searcher) from translation runs (serve/models.py: each its CTranslate2 export where present) and a
    DeViSE run + index; either may be None when not given. `int8` None: a GRU model on the torch engine decodes
    with int8 weights when it runs on the CPU."""
    if (devise_run is None) != (index_dir is None):
        raise ConfigError("Image search needs both --devise DEVISE_RUN and --index INDEX_DIR (or neither).")
    for flag, folder in (("--devise", devise_run), ("--index", index_dir)):
        if folder is not None and not Path(folder).is_dir():
            raise ConfigError(f"{flag} {folder}: no such folder.")
    models = searcher = None
    if run_dirs:

        def load(info: RunInfo) -> results.Translator:
            from wordbridge.translate.translator import Translator  # torch loads only when a model is asked for

            direction.require(info.path, "fr-en", "serve (its page translates French -> English)")
            if info.engine == "ctranslate2" and engine != "torch":  # an export decodes with its own weight type
                return Translator.load(info.path, device=device, engine="ctranslate2")
            return Translator.load(info.path, device=device, engine=engine, int8=int8)

        models = load_model_set(list(run_dirs), load, engine)
    if devise_run is not None:
        from wordbridge.devise.search import Searcher  # torch and faiss load only when a model is asked for

        log.info("loading DeViSE run %s and index %s", devise_run, index_dir)
        searcher = Searcher.load(devise_run, index_dir)
    return models, searcher


def warm_up(translator: results.Translator | None, searcher: results.Searcher | None) -> None:
    """One tiny request per model at start-up, so that lazy loading (tokenizers, backbone, label index) is not paid
    by the first user."""
    if translator is not None:
        log.info("warming up the translator")
        translator.translate(["bonjour ."], beam=1, attention=True)
    if searcher is not None:
        log.info("warming up the image search")
        searcher.search_image(Image.new("RGB", (64, 64), (128, 128, 128)), k=1)


def check_address(host: str, port: int) -> None:
    """ConfigError (one line) when the port is out of range or already taken; a warning when not loopback."""
    if not 0 < port < 65536:
        raise ConfigError(f"Invalid --port {port}. Valid: 1-65535.")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror}. Pick another --port or --host.") from None
    if not _is_loopback(host):
        log.warning("listening on %s: the server is reachable from other machines", host)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    run_dirs: Sequence[str | Path] | None,
    devise_run: str | Path | None = None,
    index_dir: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    settings: ServeSettings | None = None,
    device: str | None = None,
    engine: str = "auto",
    int8: bool | None = None,
) -> None:
    """Load the models, then serve the API and page until interrupted (engine: auto | torch | ctranslate2)."""
    check_address(host, port)
    models, searcher = load_models(run_dirs, devise_run, index_dir, device, engine, int8)
    for model in models.models.values() if models is not None else ():
        warm_up(model.translator, None)
    warm_up(None, searcher)
    app = create_app(None, searcher, settings, models=models)
    log.info("serving on http://%s:%d/ (API docs at /docs)", host if ":" not in host else f"[{host}]", port)
    uvicorn.run(app, host=host, port=port, **uvicorn_options(settings or ServeSettings()))
