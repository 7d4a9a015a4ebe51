"""The web page in a real headless Chromium (Debian chromium + chromium-driver, via selenium; scripts/install_browser.sh).

Starts the app with the fake models on 127.0.0.1 on a free port (the translator answers in sentencepiece pieces),
then: types a French sentence and waits for the translation and the heatmap of its words; copies the translation;
sees an error clear the previous results and an empty input say so; runs a word search and sees a grid of images;
clicks a result and sees similar images; searches images in French; uploads an image; opens /docs and sees the API's
operations; saves a screenshot (WORDBRIDGE_SCREENSHOT=path to keep it, e.g. docs/screenshot.png). With two served
runs (the lesson's GRU and the Transformer) the model picker says which is which and the chosen model translates.
"""

import importlib.util
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TIMEOUT = 30
ROOT = Path(__file__).resolve().parents[2]


def _load_screenshot_tool():
    """scripts/screenshot.py (the developer tool this test exercises), loaded from its file."""
    spec = importlib.util.spec_from_file_location("wordbridge_screenshot", ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


screenshot = _load_screenshot_tool()


def _serve(app, free_port):
    """Serve APP with uvicorn on 127.0.0.1 on a free port in a thread; yields its URL, stops it after."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + TIMEOUT
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory, fakes, free_port):
    from wordbridge.serve.app import create_app

    gallery = fakes.make_gallery(tmp_path_factory.mktemp("gallery"), copies=3, size=96)
    yield from _serve(create_app(fakes.FakeTranslator(pieces=True), fakes.FakeSearcher(gallery)), free_port)


@pytest.fixture(scope="module")
def models_url(fakes, free_port):
    """Two served runs (tests/fakes.py fake_models: the lesson's GRU and the Transformer)."""
    from wordbridge.serve.app import create_app

    yield from _serve(create_app(models=fakes.fake_models()), free_port)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    pytest.importorskip("selenium.webdriver", reason="selenium missing: run scripts/install_browser.sh")
    if not (screenshot.CHROMIUM.exists() and screenshot.CHROMEDRIVER.exists()):
        pytest.skip("Debian chromium/chromium-driver missing: run scripts/install_browser.sh")
    drv = screenshot.chromium_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield drv
    drv.quit()


def _wait(drv, condition, message: str):
    return screenshot.wait_for(drv, condition, message, timeout=TIMEOUT)


def _cards(drv, grid_id: str):
    from selenium.webdriver.common.by import By

    return drv.find_elements(By.CSS_SELECTOR, f"#{grid_id} .card")


def _images_loaded(drv, grid_id: str) -> bool:
    return screenshot.images_loaded(drv, grid_id)


def _translate(drv, text):
    from selenium.webdriver.common.by import By

    old = drv.find_element(By.ID, "en-output").text
    box = drv.find_element(By.ID, "fr-input")
    box.clear()
    box.send_keys(text)
    drv.find_element(By.ID, "translate-btn").click()
    _wait(drv, lambda d: d.find_element(By.ID, "en-output").text not in ("", old), "no new translation shown")
    return drv.find_element(By.ID, "en-output").text


def _ready(drv, server_url):
    from selenium.webdriver.common.by import By

    drv.get(server_url + "/")
    _wait(drv, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1", "page not ready")


def test_page_end_to_end(server_url, driver, tmp_path, fakes):
    from selenium.webdriver.common.by import By

    drv = driver
    _ready(drv, server_url)
    assert "translation model: " in drv.find_element(By.ID, "status").text  # the run in use, named

    # translation + heatmap
    box = drv.find_element(By.ID, "fr-input")
    box.clear()
    box.send_keys("le petit chat noir mange une pomme rouge .")
    drv.find_element(By.ID, "translate-btn").click()
    _wait(drv, lambda d: d.find_element(By.ID, "en-output").text.strip() != "", "no translation shown")
    assert drv.find_element(By.ID, "en-output").text == "the small cat black eats a apple red ."
    heatmap = _wait(drv, lambda d: d.find_element(By.CSS_SELECTOR, "#heatmap.drawn"), "heatmap not drawn")
    sentence = "le petit chat noir mange une pomme rouge ."
    pieces = fakes.FakeTranslator(pieces=True).translate([sentence], attention=True)[0]
    assert len(pieces.src_tokens) > 9 and pieces.src_tokens[1] == "\u2581pet"  # the API answers in pieces...
    assert heatmap.get_attribute("data-cols") == "9"  # ...the heatmap shows the 9 French words
    assert heatmap.get_attribute("data-src-words") == sentence
    assert heatmap.get_attribute("data-rows") == "10"  # the English words + _eos_
    dark = drv.execute_script(
        "const c = document.getElementById('heatmap'); const ctx = c.getContext('2d');"
        "const d = ctx.getImageData(0, 0, c.width, c.height).data; let n = 0;"
        "for (let i = 0; i < d.length; i += 4) { if (d[i + 2] - d[i] > 60) n++; } return n;"
    )
    assert dark > 1000  # the strong (blue) attention cells are painted

    # word search -> grid of images
    query = drv.find_element(By.ID, "query")
    query.send_keys("bird")
    drv.find_element(By.ID, "search-btn").click()
    _wait(drv, lambda d: len(_cards(d, "grid")) > 0, "no search results")
    _wait(drv, lambda d: _images_loaded(d, "grid"), "result images did not load")
    cards = _cards(drv, "grid")
    assert len(cards) == 12
    assert cards[0].find_element(By.CLASS_NAME, "score").text.startswith("cos ")  # labelled: cosine similarity
    captions = [c.find_element(By.CLASS_NAME, "caption").text for c in cards[:3]]
    assert captions == ["a bird square"] * 3  # the image's own caption, not its folder

    # click a result -> similar images
    clicked = cards[0].get_attribute("data-id")
    cards[0].click()
    _wait(drv, lambda d: d.find_element(By.ID, "search-info").get_attribute("data-mode") == "similar", "no similar")
    _wait(drv, lambda d: _images_loaded(d, "grid"), "similar images did not load")
    similar = _cards(drv, "grid")
    assert similar and clicked not in [c.get_attribute("data-id") for c in similar]
    assert similar[0].find_element(By.CLASS_NAME, "caption").text == "a bird square"
    assert f"#{clicked}" in drv.find_element(By.ID, "search-info").text

    # French words -> English query -> images
    drv.find_element(By.ID, "fr-query").send_keys("une fleur")
    drv.find_element(By.ID, "fr-search-btn").click()
    _wait(drv, lambda d: "flower" in d.find_element(By.ID, "fr-english").text, "no English query shown")
    _wait(drv, lambda d: _images_loaded(d, "fr-grid"), "French search images did not load")
    assert _cards(drv, "fr-grid")[0].find_element(By.CLASS_NAME, "caption").text == "a flower square"

    _screenshot(drv, tmp_path)


def test_copy_empty_input_errors_clear_results_and_long_heatmap(server_url, driver):
    from selenium.webdriver.common.by import By

    drv = driver
    _ready(drv, server_url)
    drv.find_element(By.ID, "translate-btn").click()  # nothing typed: the page says so
    _wait(drv, lambda d: "Type some French" in d.find_element(By.ID, "translate-error").text, "empty input ignored")

    drv.find_element(By.ID, "fr-input").send_keys("le chat noir .")
    drv.find_element(By.ID, "translate-btn").click()
    _wait(drv, lambda d: d.find_element(By.ID, "en-output").text == "the cat black .", "no translation")
    assert drv.find_element(By.ID, "en-model").text == "model: default · beam 5"  # which run answered, how
    assert not drv.find_element(By.ID, "translate-error").is_displayed()  # the old message went
    copy = drv.find_element(By.ID, "copy-btn")
    copy.click()
    _wait(drv, lambda d: d.find_element(By.ID, "copy-btn").text == "Copied", "copy button did nothing")
    assert copy.get_attribute("data-copied") == "the cat black ."

    long = " ".join(["le petit chat noir mange une pomme rouge"] * 6) + " ."  # 49 words
    drv.execute_script("document.getElementById('fr-input').value = arguments[0];", long)
    drv.find_element(By.ID, "translate-btn").click()
    _wait(drv, lambda d: d.find_element(By.ID, "heatmap").get_attribute("data-cols") == "49", "no long heatmap")
    inside = drv.execute_script(
        "const w = document.querySelector('.heatmap-wrap').getBoundingClientRect();"
        "const p = document.getElementById('translate-panel').getBoundingClientRect();"
        "return w.left >= p.left && w.right <= p.right;")
    assert inside  # the heatmap scrolls inside its panel instead of overflowing it

    too_long = "le chat " * 200  # 1,600 characters: the API refuses it (422)
    drv.execute_script("document.getElementById('fr-input').value = arguments[0];", too_long)
    drv.find_element(By.ID, "translate-btn").click()
    _wait(drv, lambda d: d.find_element(By.ID, "translate-error").is_displayed(), "no error shown")
    assert drv.find_element(By.ID, "en-output").text == ""  # the previous answer does not stay on show
    assert not drv.find_elements(By.CSS_SELECTOR, "#heatmap.drawn")
    assert not drv.find_element(By.ID, "copy-btn").is_displayed()

    query = drv.find_element(By.ID, "query")
    query.send_keys("bird")
    drv.find_element(By.ID, "search-btn").click()
    _wait(drv, lambda d: len(_cards(d, "grid")) > 0, "no search results")
    query.clear()
    drv.find_element(By.ID, "search-btn").click()
    _wait(drv, lambda d: "Type one or more" in d.find_element(By.ID, "search-error").text, "empty search ignored")
    assert not _cards(drv, "grid")


def test_upload_error_clears_the_previous_results(server_url, driver, tmp_path):
    from selenium.webdriver.common.by import By

    drv = driver
    _ready(drv, server_url)
    drv.find_element(By.ID, "query").send_keys("tree")
    drv.find_element(By.ID, "search-btn").click()
    _wait(drv, lambda d: len(_cards(d, "grid")) > 0, "no search results")
    bogus = tmp_path / "not-an-image.png"
    bogus.write_text("this is text, not a PNG", encoding="utf-8")
    drv.find_element(By.ID, "file-input").send_keys(str(bogus))
    _wait(drv, lambda d: d.find_element(By.ID, "search-error").is_displayed(), "no upload error shown")
    assert not _cards(drv, "grid") and drv.find_element(By.ID, "search-info").text == ""


def test_image_upload_shows_labels(server_url, driver, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.by import By

    drv = driver
    _ready(drv, server_url)
    path = tmp_path / "upload.png"
    Image.new("RGB", (50, 50), (30, 140, 40)).save(path)  # the fake gallery's "tree" colour
    drv.find_element(By.ID, "file-input").send_keys(str(path))
    _wait(drv, lambda d: d.find_element(By.ID, "search-info").get_attribute("data-mode") == "image", "no results")
    assert "tree" in drv.find_element(By.ID, "labels").text
    assert _cards(drv, "grid")[0].find_element(By.CLASS_NAME, "caption").text == "a tree square"
    from selenium.webdriver.support.ui import Select

    Select(drv.find_element(By.ID, "method")).select_by_value("conse")  # relabels the image on show
    _wait(drv, lambda d: "labels (conse)" in d.find_element(By.ID, "labels").text, "method not used")


def test_docs_list_the_operations_offline(server_url, driver):
    """/docs (Swagger UI) renders every operation from files this server serves: nothing comes from a CDN."""
    from selenium.webdriver.common.by import By

    drv = driver
    drv.get(server_url + "/docs")
    _wait(drv, lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock-summary-path"), "Swagger UI listed no operation")
    shown = {e.text.replace("\u200b", "") for e in drv.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    for route in ("/api/translate", "/api/search/text", "/api/search/image", "/api/images/{image_id}", "/health"):
        assert route in shown
    fetched = drv.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert any(url.endswith("swagger-ui-bundle.js") for url in fetched)
    assert all(url.startswith(server_url + "/") for url in fetched), fetched


def test_model_picker_says_which_is_which_and_picks_the_model(models_url, driver):
    """With two served runs the picker says which is which, preselects the default (the better validation BLEU),
    and the chosen model translates."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    drv = driver
    _ready(drv, models_url)
    picker = Select(drv.find_element(By.ID, "model"))
    assert drv.find_element(By.ID, "model").is_displayed()
    labels = [o.text for o in picker.options]
    assert labels[0].startswith("the lesson's GRU (demo") and "5.5" in labels[0]
    assert labels[1].startswith("Transformer (demo-transformer") and "default" in labels[1]
    assert picker.first_selected_option.get_attribute("value") == "demo-transformer"
    assert _translate(drv, "le chat noir") == "THE CAT BLACK"
    picker.select_by_value("demo")
    assert _translate(drv, "le chien blanc") == "the dog white"


def test_screenshot_tool(server_url, driver, tmp_path):
    """python scripts/screenshot.py: the tool that makes the README's picture on real models."""
    out = tmp_path / "page.png"
    args = [server_url, str(out), "--french", "le chien noir", "--words", "tree", "--french-words", "un bateau"]
    assert screenshot.main(args) == 0
    from PIL import Image

    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] >= 1000 and image.size[1] >= 800


def _screenshot(drv, tmp_path: Path) -> None:
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(screenshot.full_page_png(drv))
    assert shot.stat().st_size > 10_000
    keep = os.environ.get("WORDBRIDGE_SCREENSHOT")
    if keep:
        Path(keep).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, keep)
