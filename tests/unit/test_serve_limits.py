"""serve/limits.py + serve/decoding.py on a live server (127.0.0.1): slow and silent clients are closed, image
decoding never blocks other requests, a too-costly translation request is refused, no `server:` header."""

import contextlib
import http.client
import io
import socket
import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient
from PIL import Image
from uvicorn.protocols.http.h11_impl import H11Protocol

from wordbridge import cli
from wordbridge.serve import decoding
from wordbridge.serve.app import create_app
from wordbridge.serve.config import ServeSettings
from wordbridge.serve.decoding import BadImage, decode_upload
from wordbridge.serve.limits import translation_cost, uvicorn_options

WAIT_S = 20.0  # generous bound for anything the server should do "soon"; never a timing assertion


@contextlib.contextmanager
def live_server(app, settings: ServeSettings, port: int):
    """uvicorn with the product's options in a thread on 127.0.0.1:port, stopped at exit."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **uvicorn_options(settings)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(WAIT_S)


def _png(size, colour=(10, 200, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


def _closed_by_server(sock: socket.socket) -> bool:
    """True when the server closes the socket (EOF) within WAIT_S."""
    sock.settimeout(WAIT_S)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


@pytest.fixture
def app_with(fakes, tmp_path):
    gallery = fakes.make_gallery(tmp_path, copies=1)
    return lambda settings: create_app(fakes.FakeTranslator(), fakes.FakeSearcher(gallery), settings)


def test_silent_and_slow_header_sockets_are_closed_and_keep_alive_works(app_with, free_port):
    settings = ServeSettings(header_timeout_s=0.3, keep_alive_s=0.3)
    with live_server(app_with(settings), settings, free_port()) as port:
        silent = socket.create_connection(("127.0.0.1", port))
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        assert _closed_by_server(silent) and _closed_by_server(slow)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
        for _ in range(2):  # a well-behaved keep-alive client is served
            conn.request("GET", "/health")
            r = conn.getresponse()
            assert r.status == 200 and r.getheader("server") is None
            r.read()
        assert _closed_by_server(conn.sock)  # ... and closed once idle


def test_health_answers_while_an_upload_decodes(app_with, free_port, monkeypatch):
    started, release = threading.Event(), threading.Event()
    health_done = {}

    def slow_decoder(data, max_pixels, max_decode_pixels, side=decoding.DECODE_SIDE):
        started.set()
        release.wait(WAIT_S)  # a decode that only ends when released (or after WAIT_S)
        health_done["before_release"] = "status" in health_done
        return Image.new("RGB", (8, 8))

    monkeypatch.setattr(decoding, "decode_upload", slow_decoder)
    settings = ServeSettings()
    with live_server(app_with(settings), settings, free_port()) as port:
        upload = {}

        def post():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2 * WAIT_S)
            body, ctype = _multipart(_png((32, 32)))
            conn.request("POST", "/api/search/image", body, {"content-type": ctype})
            upload["status"] = conn.getresponse().status

        poster = threading.Thread(target=post)
        poster.start()
        assert started.wait(WAIT_S)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2 * WAIT_S)
        conn.request("GET", "/health")
        health_done["status"] = conn.getresponse().status
        release.set()
        poster.join(2 * WAIT_S)
    assert health_done == {"status": 200, "before_release": True}  # /health came back while the decode ran
    assert upload["status"] == 200


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = "wordbridgeboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_too_costly_translation_is_413_with_a_clear_error(app_with):
    settings = ServeSettings(max_translate_cost=5000)
    with TestClient(app_with(settings)) as c:
        texts = ["le chat noir . " * 30] * 10  # 4,500 characters
        assert c.post("/api/translate", json={"text": texts, "beam": 1}).status_code == 200
        r = c.post("/api/translate", json={"text": texts, "beam": 2})
        assert r.status_code == 413
        detail = r.json()["detail"]
        assert "9,000" in detail and "5,000" in detail and "beam" in detail
        r = c.post("/api/search/french", json={"text": "chat " * 101, "beam": 10})  # the French search too
        assert r.status_code == 413
    assert translation_cost(["abc", "de"], 3) == 15


def test_default_cost_bound_admits_every_greedy_request_within_the_schema():
    assert ServeSettings().max_translate_cost >= translation_cost(["a" * 1000] * 64, 1)


def test_over_long_text_422_says_only_what_is_wrong(app_with):
    with TestClient(app_with(ServeSettings())) as c:
        r = c.post("/api/translate", json={"text": "a" * 1001})
        assert r.status_code == 422
        msgs = [e["msg"] for e in r.json()["detail"]]
        assert msgs == ["String should have at most 1000 characters"]
        r = c.post("/api/translate", json={"text": ["ok", "a" * 1001]})
        assert [e["msg"] for e in r.json()["detail"]] == ["String should have at most 1000 characters"]
        r = c.post("/api/translate", json={"text": 5})  # neither branch: both are said
        assert len(r.json()["detail"]) == 2


def test_empty_upload_is_reported_as_an_empty_file(app_with):
    with TestClient(app_with(ServeSettings())) as c:
        r = c.post("/api/search/image", files={"file": ("a.png", b"", "image/png")})
        assert r.status_code == 400 and "empty file" in r.json()["detail"]


def test_decoding_caps_pixels_and_shrinks_jpegs_while_decoding():
    big_png = _png((5000, 4000))  # 20 MP: refused before decoding
    with pytest.raises(BadImage, match="pixels are decoded"):
        decode_upload(big_png, 40_000_000, 16_000_000)
    buf = io.BytesIO()
    Image.new("RGB", (6000, 4000), (200, 10, 10)).save(buf, format="JPEG")
    image = decode_upload(buf.getvalue(), 40_000_000, 2_000_000)  # 24 MP JPEG: decoded at 1/4 scale (1.5 MP)
    assert max(image.size) <= decoding.DECODE_SIDE and image.mode == "RGB"
    image = decode_upload(_png((3000, 1500)), 40_000_000, 16_000_000)
    assert image.size == (1024, 512)


def test_decoder_refuses_when_too_many_uploads_wait(app_with):
    settings = ServeSettings(max_decodes=1)
    app = app_with(settings)
    with TestClient(app) as c:
        app.state.wordbridge.decoder.in_line = 1 + decoding.MAX_WAITING
        r = c.post("/api/search/image", files={"file": ("a.png", _png((8, 8)), "image/png")})
        assert r.status_code == 503 and "decoded" in r.json()["detail"]
        app.state.wordbridge.decoder.in_line = 0
        assert c.post("/api/search/image", files={"file": ("a.png", _png((8, 8)), "image/png")}).status_code == 200


def test_server_options_reach_uvicorn():
    opts = uvicorn_options(ServeSettings(keep_alive_s=3, max_header_bytes=8192, max_connections=10))
    assert opts["timeout_keep_alive"] == 3 and opts["h11_max_incomplete_event_size"] == 8192
    assert opts["limit_concurrency"] == 10 and opts["server_header"] is False
    assert issubclass(opts["http"], H11Protocol) and opts["http"].head_timeout == ServeSettings().header_timeout_s


@pytest.mark.parametrize("flags", [["--header-timeout", "0"], ["--max-decodes", "0"], ["--max-translate-cost", "-1"]])
def test_bad_limit_flags_are_exit_2(tmp_path, flags, capsys):
    assert cli.main(["serve", "--run", str(tmp_path), *flags]) == 2
    assert capsys.readouterr().err.startswith(f"error: Invalid {flags[0]}")
