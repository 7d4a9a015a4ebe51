"""The page's model picker in a real headless Chromium (as tests/integration/test_browser.py): with two served runs
(tests/fakes.py fake_models: the lesson's GRU and the Transformer) the picker says which is which, preselects the
default (the better validation BLEU), and the chosen model translates."""

import importlib.util
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

TIMEOUT = 30
ROOT = Path(__file__).resolve().parents[2]


def _screenshot_tool():
    spec = importlib.util.spec_from_file_location("wordbridge_screenshot", ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


screenshot = _screenshot_tool()


@pytest.fixture(scope="module")
def server_url(fakes, free_port):
    import uvicorn

    from wordbridge.serve.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(models=fakes.fake_models()), host="127.0.0.1", port=port,
                                           log_level="warning"))
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
def driver(tmp_path_factory):
    pytest.importorskip("selenium.webdriver", reason="selenium missing: run scripts/install_browser.sh")
    if not (screenshot.CHROMIUM.exists() and screenshot.CHROMEDRIVER.exists()):
        pytest.skip("Debian chromium/chromium-driver missing: run scripts/install_browser.sh")
    drv = screenshot.chromium_driver(tmp_path_factory.mktemp("chromium-profile"))
    yield drv
    drv.quit()


def _translate(drv, text):
    from selenium.webdriver.common.by import By

    old = drv.find_element(By.ID, "en-output").text
    box = drv.find_element(By.ID, "fr-input")
    box.clear()
    box.send_keys(text)
    drv.find_element(By.ID, "translate-btn").click()
    screenshot.wait_for(drv, lambda d: d.find_element(By.ID, "en-output").text not in ("", old),
                        "no new translation shown", timeout=TIMEOUT)
    return drv.find_element(By.ID, "en-output").text


def test_model_picker_says_which_is_which_and_picks_the_model(server_url, driver):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    drv = driver
    drv.get(server_url + "/")
    screenshot.wait_for(drv, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1",
                        "page not ready", timeout=TIMEOUT)
    picker = Select(drv.find_element(By.ID, "model"))
    assert drv.find_element(By.ID, "model").is_displayed()
    labels = [o.text for o in picker.options]
    assert labels[0].startswith("the lesson's GRU (demo") and "5.5" in labels[0]
    assert labels[1].startswith("Transformer (demo-transformer") and "default" in labels[1]
    assert picker.first_selected_option.get_attribute("value") == "demo-transformer"
    assert _translate(drv, "le chat noir") == "THE CAT BLACK"
    picker.select_by_value("demo")
    assert _translate(drv, "le chien blanc") == "the dog white"
