"""serve/app.py: the REST API and page, with the fake models of tests/fakes.py (same methods as the real ones)."""

import pytest
from fastapi.testclient import TestClient

from wordbridge.serve.app import create_app
from wordbridge.serve.config import ServeSettings
from wordbridge.serve.schemas import MAX_TEXTS


@pytest.fixture(scope="module")
def gallery(tmp_path_factory, fakes):
    return fakes.make_gallery(tmp_path_factory.mktemp("gallery"))


@pytest.fixture
def translator(fakes):
    return fakes.FakeTranslator()


@pytest.fixture
def app_searcher(gallery, fakes):
    return fakes.FakeSearcher(gallery)


@pytest.fixture
def client(translator, app_searcher):
    with TestClient(create_app(translator, app_searcher)) as c:
        yield c


def test_translate_one_text_with_attention(client):
    r = client.post("/api/translate", json={"text": "le chat noir .", "beam": 3, "attention": True})
    assert r.status_code == 200
    body = r.json()
    assert body["beam"] == 3
    (t,) = body["translations"]
    assert t["text"] == "the cat black ."
    assert t["src_tokens"] == ["le", "chat", "noir", "."]
    assert len(t["attention"]) == len(t["tokens"])  # rows = output tokens
    assert all(len(row) == len(t["src_tokens"]) for row in t["attention"])  # columns = source tokens
    assert all(abs(sum(row) - 1) < 1e-3 for row in t["attention"])


def test_translate_list_keeps_order_and_omits_attention_unless_asked(client):
    r = client.post("/api/translate", json={"text": ["le chien", "la maison", "un oiseau"]})
    assert r.status_code == 200
    out = r.json()["translations"]
    assert [t["text"] for t in out] == ["the dog", "the house", "a bird"]
    assert all(t["attention"] is None for t in out)


@pytest.mark.parametrize(
    "payload",
    [
        {"text": "le chat", "beam": 0},
        {"text": "le chat", "beam": 11},
        {"text": ""},
        {"text": "   "},
        {"text": []},
        {"text": ["le chat"] * (MAX_TEXTS + 1)},
        {"text": "le chat", "colour": "red"},
        {"beam": 2},
    ],
)
def test_translate_bad_requests_are_422(client, payload):
    r = client.post("/api/translate", json=payload)
    assert r.status_code == 422
    assert "detail" in r.json()


def test_validation_errors_do_not_echo_the_input(client):
    r = client.post("/api/translate", json={"text": "x" * 5000})
    assert r.status_code == 422
    assert "xxxxxxxxxx" not in r.text


def test_translate_without_model_is_503(gallery, fakes):
    with TestClient(create_app(None, fakes.FakeSearcher(gallery))) as c:
        r = c.post("/api/translate", json={"text": "le chat"})
        assert r.status_code == 503
        assert "--run" in r.json()["detail"]
        assert c.post("/api/search/french", json={"text": "le chat"}).status_code == 503


def test_search_without_index_is_503(translator):
    with TestClient(create_app(translator, None)) as c:
        assert c.post("/api/search/text", json={"query": "cat"}).status_code == 503
        assert c.get("/api/images/0").status_code == 503
        assert c.post("/api/search/french", json={"text": "le chat"}).status_code == 503
        assert c.get("/health").json() == {"status": "ok", "translator": True, "searcher": False, "batching": True,
                                             "multilingual": False}


def test_search_text_returns_ranked_hits_with_urls(client):
    r = client.post("/api/search/text", json={"query": "dog", "k": 3})
    assert r.status_code == 200
    hits = r.json()["results"]
    assert len(hits) == 3
    assert [h["label"] for h in hits[:2]] == ["dog", "dog"]
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert hits[0]["url"] == f"/api/images/{hits[0]['id']}"
    assert "/" not in hits[0]["name"]  # file name only, no server folders


def test_unknown_word_is_400_with_one_line(client):
    r = client.post("/api/search/text", json={"query": "zzzz"})
    assert r.status_code == 400
    assert "Closest known words" in r.json()["detail"]
    assert "\n" not in r.json()["detail"]


def test_similar_excludes_the_image_itself(client):
    r = client.post("/api/search/similar", json={"id": 0, "k": 4})
    assert r.status_code == 200
    ids = [h["id"] for h in r.json()["results"]]
    assert 0 not in ids and len(ids) == 4
    assert r.json()["results"][0]["label"] == "cat"  # the other cat square is the nearest
    assert client.post("/api/search/similar", json={"id": 10_000}).status_code == 404


def test_search_image_upload(client, gallery):
    path, label = gallery[4]
    with open(path, "rb") as f:
        r = client.post("/api/search/image", files={"file": ("x.png", f, "image/png")}, data={"k": "3"})
    assert r.status_code == 200
    body = r.json()
    assert body["similar"][0]["label"] == label
    assert len(body["similar"]) == 3
    assert body["labels"] and body["zero_shot"]
    assert set(body["labels"][0]) == {"wnid", "name", "score"}
    assert body["similar"][0]["caption"] == f"a {label} square"  # cards show what the image is, not its folder
    assert body["method"] is None


def test_search_image_method(client, gallery, app_searcher):
    path, _ = gallery[4]
    for method in ("devise", "conse", "blend"):
        with open(path, "rb") as f:
            r = client.post("/api/search/image", files={"file": ("x.png", f, "image/png")},
                            data={"k": "2", "method": method})
        assert r.status_code == 200 and r.json()["method"] == method and app_searcher.last_method == method
    with open(path, "rb") as f:
        r = client.post("/api/search/image", files={"file": ("x.png", f, "image/png")}, data={"method": "softmax"})
    assert r.status_code == 422 and "devise" in r.text


def test_french_search_translates_then_searches(client):
    r = client.post("/api/search/french", json={"text": "un oiseau bleu", "k": 2})
    assert r.status_code == 200
    body = r.json()
    assert body["french"] == "un oiseau bleu"
    assert body["english"] == "a bird blue"
    assert [h["label"] for h in body["results"]] == ["bird", "bird"]


def test_french_search_with_an_unknown_english_word_names_the_query(client):
    r = client.post("/api/search/french", json={"text": "un zèbre"})
    assert r.status_code == 400
    assert "English query: 'a zèbre'" in r.json()["detail"]


def test_gallery_image_served_by_id(client, gallery):
    r = client.get("/api/images/3")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png"
    assert r.content == gallery[3][0].read_bytes()


def test_health_page_and_openapi(client):
    assert client.get("/health").json() == {"status": "ok", "translator": True, "searcher": True, "batching": True,
                                             "multilingual": False}
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert 'id="heatmap"' in page.text and "/static/app.js" in page.text
    assert "content-security-policy" in page.headers
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/translate", "/api/search/text", "/api/search/image", "/api/images/{image_id}", "/health"):
        assert route in paths
    assert client.get("/docs").status_code == 200


def test_docs_are_served_offline(client):
    """/docs and /redoc load Swagger UI / ReDoc from this server (the fastapi-offline package), never a CDN."""
    import re

    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200
        urls = re.findall(r'(?:src|href|url)\s*[:=]\s*[\'"]([^\'"]+)[\'"]', r.text)
        assets = [u for u in urls if u.endswith((".js", ".css"))]
        assert assets and all(u.startswith("/docs-static/") for u in assets), urls
        assert "cdn." not in r.text and "https://" not in r.text.replace("https://github.com", "")
        assert "'self'" in r.headers["content-security-policy"]  # the browser may not fetch from elsewhere
        for url in assets:
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 10_000


def test_concurrent_http_requests_are_batched(gallery, fakes):
    import concurrent.futures

    translator = fakes.FakeTranslator(fixed_ms=30)
    settings = ServeSettings(batch_wait_ms=20)
    with TestClient(create_app(translator, None, settings)) as c:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            texts = [f"le chat {i}" for i in range(8)]
            rs = list(pool.map(lambda t: c.post("/api/translate", json={"text": t}), texts))
    assert [r.json()["translations"][0]["text"] for r in rs] == [f"the cat {i}" for i in range(8)]
    assert len(translator.calls) < 8


def test_app_can_be_started_again_after_shutdown(gallery, fakes):
    app = create_app(fakes.FakeTranslator(), fakes.FakeSearcher(gallery))
    for _ in range(2):
        with TestClient(app) as c:
            assert c.post("/api/translate", json={"text": "le chat"}).status_code == 200
            assert c.post("/api/search/text", json={"query": "cat"}).status_code == 200
