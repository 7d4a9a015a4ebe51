"""The FastAPI app: REST API for translation (with attention) and DeViSE image search, plus the one-page UI.

Models are injected: `create_app(translator=..., searcher=...)` takes any objects that follow the `Translator` and
`Searcher` protocols of `wordbridge.results` (the real ones in translate/translator.py and devise/search.py, or the
test doubles in tests/fakes.py), so this module loads no model code. Translation goes through a MicroBatcher (one
worker thread); image search runs in its own single worker thread, so neither model is ever called from two threads
at once. Uploaded images decode in a small bounded pool of their own (serve/decoding.py), never on the event loop.
"""

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, TypeVar

from fastapi import FastAPI, File, Form, HTTPException, Request
from fastapi import Path as PathParam
from fastapi import UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from wordbridge import __version__
from wordbridge.errors import AssetError, WordbridgeError
from wordbridge.results import ImageHit, ImageMethod, LabelHit, Searcher, Translation, Translator
from wordbridge.serve import schemas
from wordbridge.serve.config import ServeSettings
from wordbridge.serve.decoding import UploadDecoder
from wordbridge.serve.limits import check_translation_cost
from wordbridge.serve.microbatch import MicroBatcher, Overloaded
from wordbridge.serve.models import ModelSet
from wordbridge.serve.security import (
    CONVERT_TO_PNG,
    IMAGE_MEDIA_TYPES,
    MULTIPART_OVERHEAD,
    BadImage,
    DOCS_STATIC,
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    as_png,
)
from wordbridge.serve.validation import validation_errors
from wordbridge.translate.confidence import is_low, with_confidence

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
T = TypeVar("T")
NOT_FOUND = (KeyError, IndexError, ValueError, LookupError, WordbridgeError)


class _State:
    """What the routes share: the models, the batcher and the search thread."""

    def __init__(self, models: ModelSet | None, searcher: Searcher | None, settings: ServeSettings):
        self.models = models
        self.translator = models.get(None).translator if models is not None else None  # the default model
        self.searcher = searcher
        self.settings = settings
        self.batchers = {  # one per model, each with its own worker thread
            name: MicroBatcher(m.translator.translate, max_batch=settings.max_batch,
                               max_wait_ms=settings.batch_wait_ms, enabled=settings.batching)
            for name, m in (models.models.items() if models is not None else ())
        }
        self.batcher = self.batchers.get(models.default) if models is not None else None
        self.search_pool = _search_pool()
        self.decoder = UploadDecoder(settings)  # uploads decode in their own bounded pool, off the event loop

    def open(self) -> None:
        """(Re)start the batchers and the search thread: an app can be started again after a shutdown."""
        for batcher in self.batchers.values():
            batcher.open()
            batcher.start()
        if self.search_pool is None:
            self.search_pool = _search_pool()
        self.decoder.open()

    async def close(self) -> None:
        for batcher in self.batchers.values():
            await batcher.stop()
            batcher.close()
        self.search_pool.shutdown(wait=False, cancel_futures=True)
        self.search_pool = None
        self.decoder.close()

    def model_name(self, model: str | None) -> str:
        """The served model a request names (None: the default); 503 without models, 400 for an unknown name."""
        if self.models is None:
            raise HTTPException(503, "no translation model is loaded; start the server with --run RUN_DIR")
        try:
            return self.models.get(model).info.name
        except KeyError as exc:
            raise HTTPException(400, str(exc.args[0])) from None

    async def translate(self, texts: list[str], beam: int, attention: bool,
                        model: str | None = None) -> list[Translation]:
        batcher = self.batchers[self.model_name(model)]
        check_translation_cost(texts, beam, self.settings.max_translate_cost)
        try:
            return await batcher.submit(texts, beam, attention)
        except Overloaded as exc:
            raise HTTPException(503, str(exc)) from None

    async def search(self, fn: Callable[..., T], *args: Any) -> T:
        """Run one Searcher method in the search thread; 503 when no index is loaded."""
        if self.searcher is None:
            raise HTTPException(503, "no image index is loaded; start the server with --devise RUN --index DIR")
        if self.search_pool is None:
            self.open()
        return await asyncio.get_running_loop().run_in_executor(self.search_pool, lambda: fn(self.searcher, *args))


def _search_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="wordbridge-search")


def create_app(translator: Translator | None = None, searcher: Searcher | None = None,
               settings: ServeSettings | None = None, models: ModelSet | None = None) -> FastAPI:
    """Build the app around already-loaded models (either may be None: its routes then answer 503). `models`:
    several named translators (serve/models.py) instead of one `translator`."""
    settings = settings or ServeSettings()
    if models is None and translator is not None:
        models = ModelSet.single(translator)
    state = _State(models, searcher, settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        state.open()
        yield
        await state.close()

    # /docs (Swagger UI) and /redoc with their scripts and styles served from the fastapi-offline package under
    # DOCS_STATIC, never from a CDN: the docs work on a machine without internet
    app = FastAPIOffline(
        title="wordbridge",
        version=__version__,
        description="French->English translation with attention, DeViSE image search, and French -> images.",
        lifespan=lifespan,
        debug=False,
        static_url=DOCS_STATIC,
    )
    app.state.wordbridge = state
    _add_middleware(app, settings)
    _add_error_handlers(app)
    _add_translate_routes(app, state)
    _add_search_routes(app, state)
    _add_image_routes(app, state)
    _add_page_routes(app, state)
    return app


def _add_middleware(app: FastAPI, settings: ServeSettings) -> None:
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["content-type"],
        )
    upload_limit = settings.max_upload_bytes + MULTIPART_OVERHEAD
    app.add_middleware(BodyLimitMiddleware, default=settings.max_json_bytes, limits={"/api/search/image": upload_limit})
    app.add_middleware(SecurityHeadersMiddleware)


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WordbridgeError)
    async def user_error(request: Request, exc: WordbridgeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc).splitlines()[0] if str(exc) else type(exc).__name__}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_errors(exc.errors())}, status_code=422)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.error("error serving %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal server error"}, status_code=500)


def _translation_out(t: Translation, attention: bool) -> schemas.TranslationOut:
    weights = None
    if attention and t.attention is not None:
        weights = [[round(float(w), 4) for w in row] for row in t.attention]
    return schemas.TranslationOut(
        text=t.text, src_tokens=list(t.src_tokens), tokens=list(t.tokens), attention=weights,
        confidence=t.confidence, low_confidence=None if t.confidence is None else is_low(t.confidence),
    )


def _hit_out(hit: ImageHit) -> schemas.ImageHitOut:
    image_id = int(hit.id)
    return schemas.ImageHitOut(
        id=image_id,
        score=round(float(hit.score), 4),
        label=hit.label,
        caption=hit.caption,
        name=Path(str(hit.path)).name,
        url=f"/api/images/{image_id}",
    )


def _label_out(hit: LabelHit) -> schemas.LabelOut:
    return schemas.LabelOut(wnid=str(hit.wnid), name=str(hit.name), score=round(float(hit.score), 4))


def _add_translate_routes(app: FastAPI, state: _State) -> None:
    @app.post("/api/translate", response_model=schemas.TranslateResponse, tags=["translation"])
    async def translate(req: schemas.TranslateRequest) -> schemas.TranslateResponse:
        """Translate French text (or a list of texts); `attention: true` adds the weights and tokens."""
        start = time.perf_counter()
        texts = [req.text] if isinstance(req.text, str) else list(req.text)
        name = state.model_name(req.model)
        results = await state.translate(texts, req.beam, req.attention, name)
        if req.confidence:  # asked for: one encoder pass over the batch, off the event loop, in the search thread
            if state.search_pool is None:  # (e5 searches use the same encoder there; one thread calls it at a time)
                state.open()
            try:
                results = await asyncio.get_running_loop().run_in_executor(state.search_pool, with_confidence, texts,
                                                                           results)
            except AssetError as exc:  # the encoder is an extra: translations still come back, confidence null
                log.warning("no translation confidence: %s", exc)
        out = [_translation_out(t, req.attention) for t in results]
        return schemas.TranslateResponse(translations=out, beam=req.beam, model=name,
                                         ms=(time.perf_counter() - start) * 1e3)

    @app.get("/api/models", response_model=schemas.ModelsResponse, tags=["translation"])
    async def models() -> schemas.ModelsResponse:
        """The translation models served: name, what each is (the lesson's GRU, Transformer), validation BLEU."""
        if state.models is None:
            return schemas.ModelsResponse(default=None, models=[])
        return schemas.ModelsResponse(default=state.models.default,
                                      models=[schemas.ModelOut(**m) for m in state.models.describe()])

    @app.post("/api/search/french", response_model=schemas.FrenchSearchResponse, tags=["search"])
    async def search_french(req: schemas.FrenchSearchRequest) -> schemas.FrenchSearchResponse:
        """French words -> images: directly when the index's run is in the multilingual e5 space (route `direct`),
        else (or when asked, route `translator`) through the NMT translation; the response says which."""
        if state.searcher is None:
            raise HTTPException(503, "no image index is loaded; start the server with --devise RUN --index DIR")
        route = french_route(req.route, bool(getattr(state.searcher, "multilingual", False)))
        if route == "direct":
            try:
                hits = await state.search(lambda s: s.search_text(req.text, k=req.k))
            except WordbridgeError as exc:
                raise HTTPException(400, str(exc).splitlines()[0]) from None
            return schemas.FrenchSearchResponse(french=req.text, route=route, results=[_hit_out(h) for h in hits])
        (translation,) = await state.translate([req.text], req.beam, False)
        english = translation.text.strip()
        if not english:
            raise HTTPException(400, "the translation is empty; try other words")
        try:
            hits = await state.search(lambda s: s.search_text(english, k=req.k))
        except WordbridgeError as exc:  # e.g. an English word without a vector: say which query was used
            raise HTTPException(400, f"{str(exc).splitlines()[0]} (English query: '{english}')") from None
        return schemas.FrenchSearchResponse(french=req.text, route=route, english=english,
                                            results=[_hit_out(h) for h in hits])


def french_route(asked: str, multilingual: bool) -> str:
    """'direct' or 'translator' for a French search (HTTPException 400 for direct on a word-vector run)."""
    if asked == "auto":
        return "direct" if multilingual else "translator"
    if asked == "direct" and not multilingual:
        raise HTTPException(400, "the index's DeViSE run holds English word vectors only; use route 'translator' or "
                                 "a run trained with devise.vectors=e5")
    return asked


def _add_search_routes(app: FastAPI, state: _State) -> None:
    settings = state.settings

    @app.post("/api/search/text", response_model=schemas.SearchResponse, tags=["search"])
    async def search_text(req: schemas.TextSearchRequest) -> schemas.SearchResponse:
        """Words -> the gallery images nearest to them in the DeViSE space."""
        hits = await state.search(lambda s: s.search_text(req.query, k=req.k))
        return schemas.SearchResponse(query=req.query, results=[_hit_out(h) for h in hits])

    @app.post("/api/search/similar", response_model=schemas.SearchResponse, tags=["search"])
    async def search_similar(req: schemas.SimilarRequest) -> schemas.SearchResponse:
        """Gallery image id -> the gallery images nearest to it."""
        try:
            hits = await state.search(lambda s: s.similar(req.id, k=req.k))
        except NOT_FOUND:
            raise HTTPException(404, f"no gallery image with id {req.id}") from None
        return schemas.SearchResponse(query=f"#{req.id}", results=[_hit_out(h) for h in hits])

    @app.post("/api/search/image", response_model=schemas.ImageSearchResponse, tags=["search"])
    async def search_image(
        file: UploadFile = File(description=f"an image ({', '.join(sorted(IMAGE_MEDIA_TYPES))})"),
        k: int = Form(9, ge=1, le=schemas.MAX_K),
        method: ImageMethod | None = Form(None, description="image -> labels: devise | conse | blend (default: "
                                          "the DeViSE run's)"),
    ) -> schemas.ImageSearchResponse:
        """An uploaded image -> its ImageNet labels, zero-shot labels and similar gallery images."""
        data = await file.read(settings.max_upload_bytes + 1)
        if len(data) > settings.max_upload_bytes:
            raise HTTPException(413, f"upload too large (limit {settings.max_upload_bytes} bytes)")
        image = await state.decoder.decode(data)
        result = await state.search(lambda s: s.search_image(image, k=k, method=method))
        return schemas.ImageSearchResponse(
            method=method,
            labels=[_label_out(h) for h in result.labels],
            zero_shot=[_label_out(h) for h in result.zero_shot],
            similar=[_hit_out(h) for h in result.similar],
        )


def _add_image_routes(app: FastAPI, state: _State) -> None:
    settings = state.settings

    @app.get("/api/images/{image_id}", tags=["search"], response_class=FileResponse)
    async def image(image_id: int = PathParam(ge=0, description="gallery image id")) -> FileResponse:
        """A gallery image file, by its id in the index (no client paths)."""
        try:
            path = Path(await state.search(lambda s: s.image_path(image_id)))
        except NOT_FOUND:
            raise HTTPException(404, f"no gallery image with id {image_id}") from None
        suffix = path.suffix.lower()
        if not path.is_file() or (suffix not in IMAGE_MEDIA_TYPES and suffix not in CONVERT_TO_PNG):
            raise HTTPException(404, f"no gallery image with id {image_id}")
        headers = {"cache-control": "public, max-age=3600"}
        if suffix in CONVERT_TO_PNG:
            try:
                png = await state.search(lambda s: as_png(path, settings.max_image_pixels))
            except (BadImage, OSError):
                raise HTTPException(404, f"gallery image {image_id} cannot be read") from None
            return Response(png, media_type="image/png", headers=headers)
        return FileResponse(path, media_type=IMAGE_MEDIA_TYPES[suffix], headers=headers)


def _add_page_routes(app: FastAPI, state: _State) -> None:
    @app.get("/health", response_model=schemas.Health, tags=["misc"])
    async def health() -> schemas.Health:
        return schemas.Health(
            status="ok",
            translator=state.translator is not None,
            searcher=state.searcher is not None,
            batching=state.settings.batching,
            multilingual=bool(getattr(state.searcher, "multilingual", False)),
        )

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
