"""serve/security.py + app wiring: upload size (413), non-images (400), text length (422), gallery files only by id,
CORS off by default, no stack traces in responses."""

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from wordbridge.serve.app import create_app
from wordbridge.serve.config import ServeSettings
from wordbridge.serve.decoding import BadImage, decode_upload


@pytest.fixture(scope="module")
def gallery(tmp_path_factory, fakes):
    return fakes.make_gallery(tmp_path_factory.mktemp("gallery"), copies=1)


@pytest.fixture(scope="module")
def client(gallery, fakes):
    """client(searcher=None, **settings) -> a TestClient over the fake models (server errors answer 500)."""

    def make(searcher=None, **settings):
        app = create_app(fakes.FakeTranslator(), searcher or fakes.FakeSearcher(gallery), ServeSettings(**settings))
        return TestClient(app, raise_server_exceptions=False)

    return make


def _png(size=(32, 32)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buf, format="PNG")
    return buf.getvalue()


def _noise_png(side: int) -> bytes:
    """A PNG that does not compress: a few hundred KB for side ~ 300."""
    buf = io.BytesIO()
    Image.frombytes("RGB", (side, side), bytes((i * 7919) % 251 for i in range(side * side * 3))).save(buf, "PNG")
    return buf.getvalue()


# ---- uploads ---------------------------------------------------------------------------------------------------
def test_upload_over_limit_is_413(client):
    data = _noise_png(200)
    with client(max_upload_bytes=len(data) - 1) as c:
        r = c.post("/api/search/image", files={"file": ("big.png", data, "image/png")})
        assert r.status_code == 413
    with client(max_upload_bytes=len(data) + 10) as c:  # the same file under the limit is fine
        assert c.post("/api/search/image", files={"file": ("big.png", data, "image/png")}).status_code == 200


def test_default_upload_limit_is_10_mb(client):
    assert ServeSettings().max_upload_bytes == 10 * 1024 * 1024
    with client() as c:
        blob = b"\0" * (10 * 1024 * 1024 + 1)
        r = c.post("/api/search/image", files={"file": ("huge.png", blob, "image/png")})
        assert r.status_code == 413
        assert "too large" in r.json()["detail"]


def test_chunked_body_over_limit_is_413(client):
    def chunks():
        for _ in range(40):
            yield b"x" * 65536  # 2.5 MB, no Content-Length

    with client() as c:
        r = c.post("/api/translate", content=chunks(), headers={"content-type": "application/json"})
        assert r.status_code == 413


def test_json_body_over_limit_is_413(client):
    with client(max_json_bytes=2000) as c:
        r = c.post("/api/translate", json={"text": ["le chat"] * 300})
        assert r.status_code == 413


@pytest.mark.parametrize(
    "data, name",
    [
        (b"this is not an image", "notes.png"),
        (b"%PDF-1.4 fake", "doc.pdf"),
        (b"", "empty.png"),
        (_png()[:60], "truncated.png"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "x.svg"),
    ],
)
def test_non_images_are_400(client, data, name):
    with client() as c:
        r = c.post("/api/search/image", files={"file": (name, data, "image/png")})
        assert r.status_code == 400
        assert "image" in r.json()["detail"]


def test_decompression_bomb_is_400(client):
    data = _png((4000, 4000))  # tiny file, 16 M pixels once decoded
    with client(max_image_pixels=1_000_000) as c:
        r = c.post("/api/search/image", files={"file": ("bomb.png", data, "image/png")})
        assert r.status_code == 400
        assert "pixels" in r.json()["detail"]


def test_decode_upload_converts_to_rgb():
    buf = io.BytesIO()
    Image.new("L", (8, 8), 128).save(buf, format="GIF")
    assert decode_upload(buf.getvalue(), 1000, 1000).mode == "RGB"
    with pytest.raises(BadImage):
        decode_upload(b"GIF89a-garbage", 1000, 1000)


# ---- text lengths ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "route, payload",
    [
        ("/api/translate", {"text": "a" * 1001}),
        ("/api/translate", {"text": ["ok", "a" * 1001]}),
        ("/api/search/text", {"query": "cat " * 51}),
        ("/api/search/french", {"text": "a" * 1001}),
        ("/api/search/text", {"query": "cat", "k": 51}),
    ],
)
def test_text_over_limit_is_422(client, route, payload):
    with client() as c:
        assert c.post(route, json=payload).status_code == 422


def test_text_at_the_limit_is_accepted(client):
    with client() as c:
        assert c.post("/api/translate", json={"text": "a" * 1000}).status_code == 200


# ---- gallery files only by id ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "/api/images/../../etc/passwd",
        "/api/images/..%2F..%2Fetc%2Fpasswd",
        "/api/images/%2Fetc%2Fpasswd",
        "/api/images/0%2F..%2F..%2Fetc%2Fpasswd",
        "/api/images/-1",
        "/api/images/1e3",
        "/api/images/99999",
        "/api/images/cat_0.png",
        "/static/../../../../etc/passwd",
        "/static/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
    ],
)
def test_no_paths_from_the_client(client, url):
    with client() as c:
        r = c.get(url)
        assert r.status_code in (404, 422)
        assert "root:" not in r.text


def test_only_image_files_are_served(gallery, client, fakes):
    class LeakySearcher(fakes.FakeSearcher):
        """An index whose entry points at a non-image file: it must not be served."""

        def image_path(self, image_id):
            return Path("/etc/passwd") if image_id == 0 else super().image_path(image_id)

    with client(searcher=LeakySearcher(gallery)) as c:
        assert c.get("/api/images/0").status_code == 404
        assert c.get("/api/images/1").status_code == 200


# ---- CORS ------------------------------------------------------------------------------------------------------
def test_cors_is_off_by_default(client):
    with client() as c:
        r = c.post("/api/translate", json={"text": "le chat"}, headers={"Origin": "https://evil.example"})
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers
        pre = c.options(
            "/api/translate",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in pre.headers


def test_cors_can_be_enabled_for_named_origins(client):
    with client(cors_origins=("https://ok.example",)) as c:
        ok = c.post("/api/translate", json={"text": "le chat"}, headers={"Origin": "https://ok.example"})
        assert ok.headers["access-control-allow-origin"] == "https://ok.example"
        bad = c.post("/api/translate", json={"text": "le chat"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in bad.headers


# ---- no stack traces -------------------------------------------------------------------------------------------
def test_unexpected_errors_are_generic_500(gallery, fakes):
    class BrokenSearcher(fakes.FakeSearcher):
        def search_text(self, query, k=9):
            raise RuntimeError("secret detail at /srv/private/index.faiss")

    class BrokenTranslator(fakes.FakeTranslator):
        def translate(self, texts, beam=1, attention=False):
            raise ZeroDivisionError("model internals")

    app = create_app(BrokenTranslator(), BrokenSearcher(gallery))
    with TestClient(app, raise_server_exceptions=False) as c:
        for route, payload in (("/api/search/text", {"query": "cat"}), ("/api/translate", {"text": "le chat"})):
            r = c.post(route, json=payload)
            assert r.status_code == 500
            assert r.json() == {"detail": "internal server error"}
            for leak in ("Traceback", "secret", "/srv/private", "ZeroDivisionError", "internals"):
                assert leak not in r.text


def test_malformed_json_is_422_without_trace(client):
    with client() as c:
        r = c.post("/api/translate", content=b"{not json", headers={"content-type": "application/json"})
        assert r.status_code == 422
        assert "Traceback" not in r.text


def test_security_headers(client):
    with client() as c:
        r = c.get("/health")
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
