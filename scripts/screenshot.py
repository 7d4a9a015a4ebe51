"""Drive the page in headless Chromium (Debian's /usr/bin/chromium + /usr/bin/chromedriver via selenium) and save a
full-page screenshot: what the browser test uses, and how the README's docs/screenshot.png is made on real models:

    wordbridge serve --run RUN --devise DEVISE_RUN --index INDEX &
    python scripts/screenshot.py http://127.0.0.1:8000 docs/screenshot.png \
        --french "le chat noir dort sur le canapé ." --words "cat" --french-words "un bateau à moteur"

Needs the `dev` extra (selenium) and scripts/install_browser.sh; never downloads a browser or driver. A developer
tool, not part of the package: tests/integration/test_browser.py loads it from this file.
"""

import argparse
import base64
import logging
import os
import sys
import tempfile
from pathlib import Path

from wordbridge.atomic import write_bytes

log = logging.getLogger(__name__)

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--window-size=1400,1000",
)
TIMEOUT = 60


def chromium_driver(profile_dir: str | Path):
    """A headless Chromium session with a fresh user-data-dir; the caller quits it."""
    from selenium import webdriver  # optional (the `dev` extra): only the browser tool and test need it

    os.environ.setdefault("SE_OFFLINE", "true")  # never let selenium fetch a driver or a browser
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS + (f"--user-data-dir={profile_dir}",):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(TIMEOUT)
    return driver


def full_page_png(driver, max_height: int = 4000) -> bytes:
    """The whole page (not just the viewport) as PNG bytes, via the DevTools protocol."""
    driver.execute_script("window.scrollTo(0, 0)")
    width = int(driver.execute_script("return document.documentElement.clientWidth"))
    height = min(int(driver.execute_script("return document.documentElement.scrollHeight")), max_height)
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})["data"]
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return base64.b64decode(data)


def wait_for(driver, condition, message: str, timeout: float = TIMEOUT):
    from selenium.webdriver.support.ui import WebDriverWait  # optional, as above

    return WebDriverWait(driver, timeout).until(lambda d: condition(d), message=message)


def images_loaded(driver, grid_id: str) -> bool:
    script = (
        f"const imgs = [...document.querySelectorAll('#{grid_id} .card img')];"
        "return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);"
    )
    return bool(driver.execute_script(script))


def fill_page(driver, url: str, french: str, words: str | None, french_words: str | None) -> None:
    """Open the page and use each panel: translate (heatmap), word search + click the first result, French search."""
    from selenium.webdriver.common.by import By  # optional, as above

    driver.get(url.rstrip("/") + "/")
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "1", "page not ready")
    box = driver.find_element(By.ID, "fr-input")
    box.clear()
    box.send_keys(french)
    driver.find_element(By.ID, "translate-btn").click()
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#heatmap.drawn"), "no heatmap")
    if words:
        driver.find_element(By.ID, "query").send_keys(words)
        driver.find_element(By.ID, "search-btn").click()
        wait_for(driver, lambda d: images_loaded(d, "grid"), "no word search results")
        driver.find_element(By.CSS_SELECTOR, "#grid .card").click()
        mode = lambda d: d.find_element(By.ID, "search-info").get_attribute("data-mode") == "similar"  # noqa: E731
        wait_for(driver, mode, "no similar images")
        wait_for(driver, lambda d: images_loaded(d, "grid"), "similar images did not load")
    if french_words:
        driver.find_element(By.ID, "fr-query").send_keys(french_words)
        driver.find_element(By.ID, "fr-search-btn").click()
        wait_for(driver, lambda d: images_loaded(d, "fr-grid"), "no French search results")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Screenshot of the wordbridge page on a running server.")
    p.add_argument("url", help="server address, e.g. http://127.0.0.1:8000")
    p.add_argument("out", help="PNG file to write")
    p.add_argument("--french", default="le chat noir dort sur le canapé .", help="sentence to translate")
    p.add_argument("--words", default=None, help="English words for the image search (skipped if not given)")
    p.add_argument("--french-words", default=None, help="French words for the French image search")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        print("error: /usr/bin/chromium or /usr/bin/chromedriver missing; run scripts/install_browser.sh", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="wordbridge-chromium-") as profile:
        driver = chromium_driver(profile)
        try:
            fill_page(driver, args.url, args.french, args.words, args.french_words)
            png = full_page_png(driver)
        finally:
            driver.quit()
    write_bytes(args.out, png)
    log.info("wrote %s (%d bytes)", args.out, len(png))
    return 0


if __name__ == "__main__":
    sys.exit(main())
