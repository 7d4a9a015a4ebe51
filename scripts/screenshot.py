"""Drive the page in headless Chromium (Debian's /usr/bin/chromium + /usr/bin/chromedriver via selenium) and save a
full-page screenshot: what the browser test uses, and how the README's docs/screenshot.png is made from the demo's
run folders (`bash scripts/demo.sh` writes them under runs/):

    python scripts/screenshot.py --runs runs docs/screenshot.png

`--runs RUNS` starts `wordbridge serve` on RUNS/demo, RUNS/devise and RUNS/devise/indexes/gallery on a free port,
takes the picture and stops the server; a URL instead photographs a server that is already running:

    python scripts/screenshot.py http://127.0.0.1:8000 page.png --words cat --french-words "un bateau"

Needs the `dev` extra (selenium) and scripts/install_browser.sh; never downloads a browser or driver. A developer
tool, not part of the package: tests/integration/test_browser.py loads it from this file.
"""

import argparse
import base64
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
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
SERVER_TIMEOUT = 300  # loading the translation model, the DeViSE run and its index on a busy CPU
RUNS_WORDS, RUNS_FRENCH_WORDS = "boat", "bateau"  # what the page is asked when photographed from the demo's runs


def demo_folders(runs: str | Path) -> dict[str, Path]:
    """The run folders `bash scripts/demo.sh` writes under RUNS (its RUNS variable, default runs)."""
    runs = Path(runs)
    return {"--run": runs / "demo", "--devise": runs / "devise", "--index": runs / "devise" / "indexes" / "gallery"}


def serve_command(runs: str | Path, port: int) -> list[str]:
    """`wordbridge serve` on the demo's translation run(s), DeViSE run and gallery index, bound to 127.0.0.1:port.
    The demo's Transformer (RUNS/demo-transformer, when the demo trained both models) is served beside the GRU."""
    flags = [part for flag, folder in demo_folders(runs).items() for part in (flag, str(folder))]
    if (Path(runs) / "demo-transformer").is_dir():
        flags += ["--run", str(Path(runs) / "demo-transformer")]
    return [sys.executable, "-m", "wordbridge", "serve", *flags, "--host", "127.0.0.1", "--port", str(port)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_server(proc: subprocess.Popen, url: str, timeout: float = SERVER_TIMEOUT) -> None:
    """Poll URL/health until it answers 200; RuntimeError if the server exits or the timeout passes first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"wordbridge serve exited with code {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise RuntimeError(f"wordbridge serve did not answer at {url} within {timeout:.0f} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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


def take(url: str, out: str, french: str, words: str | None, french_words: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="wordbridge-chromium-") as profile:
        driver = chromium_driver(profile)
        try:
            fill_page(driver, url, french, words, french_words)
            png = full_page_png(driver)
        finally:
            driver.quit()
    write_bytes(out, png)
    log.info("wrote %s (%d bytes)", out, len(png))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Screenshot of the wordbridge page (a running server or the demo's runs).")
    p.add_argument("url", nargs="?", help="address of a running server, e.g. http://127.0.0.1:8000 (or use --runs)")
    p.add_argument("out", help="PNG file to write")
    p.add_argument("--runs", metavar="RUNS", help="serve the demo's run folders under RUNS (scripts/demo.sh's RUNS, "
                   "default runs) on a free port for the picture, instead of URL")
    p.add_argument("--french", default="le chat noir dort sur le canapé .", help="sentence to translate")
    p.add_argument("--words", default=None,
                   help=f"English words for the image search (default with --runs: {RUNS_WORDS}; else skipped)")
    p.add_argument("--french-words", default=None,
                   help=f"French words for the French image search (default with --runs: {RUNS_FRENCH_WORDS})")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if (args.url is None) == (args.runs is None):
        p.error("give either a server URL or --runs RUNS")
    if args.runs:
        missing = [str(folder) for folder in demo_folders(args.runs).values() if not folder.is_dir()]
        if missing:
            print(f"error: {', '.join(missing)} not found; run `bash scripts/demo.sh` (RUNS={args.runs}) first",
                  file=sys.stderr)
            return 2
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        print("error: /usr/bin/chromium or /usr/bin/chromedriver missing; run scripts/install_browser.sh", file=sys.stderr)
        return 2
    if not args.runs:
        take(args.url, args.out, args.french, args.words, args.french_words)
        return 0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(serve_command(args.runs, port))
    try:
        wait_for_server(proc, url)
        take(url, args.out, args.french, args.words or RUNS_WORDS, args.french_words or RUNS_FRENCH_WORDS)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
