"""Faults and hostile clients (issue 26), each reproduced on this machine, loopback only: prints case / expected / got.

    nice -n 10 python benchmarks/faults.py                 # ~2-3 minutes; root mounts a 20 MB tmpfs for the disk cases
    python benchmarks/faults.py --seconds 10 --json faults.json

Disk: a tiny translation run is prepared and trained for 1 epoch through the CLI, copied to a 20 MB tmpfs that is then
filled, and resumed: the checkpoint write meets ENOSPC (without root: a patched writer instead). Server: a server
process (`faults.py _server`) builds the product's app with the real tiny Translator and the tests' FakeSearcher,
whose gallery files are resolved by the product's Searcher.image_path over a real index (with a symlink leaving the
gallery), and runs it with the product's uvicorn options (serve/limits.py). While 60 idle sockets (50 silent, 10
sending a header line a second) and 8 clients uploading large PNGs are in flight, a client polls /health: its p99
and the server's RSS growth are the load figures.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PeakRSS, describe_machine, fmt_num, machine_info, markdown_table, stop_tree  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FR = ["le chat est noir .", "le chien est blanc .", "la maison est grande .", "je mange une pomme .",
      "où est la gare ?", "nous aimons la musique .", "elle lit un livre .", "le ciel est bleu ."]
EN = ["the cat is black .", "the dog is white .", "the house is big .", "i eat an apple .", "where is the station ?",
      "we love music .", "she reads a book .", "the sky is blue ."]
MODEL = "model:\n  emb_size_src: 32\n  emb_size_tgt: 32\n  hidden: 32\n  layers: 1\n"
TRAIN = "train:\n  epochs: 1\n  batch_size: 8\n  lr: 0.003\n"
MARKER = "zorglubmarqueur"  # a word sent by a client: it must not reach the server's log at INFO


def wb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "wordbridge", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def one_line(err: str) -> str:
    """The `error:` line when there is exactly one and no traceback (log lines at INFO may come before it)."""
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    if len(errors) == 1 and "Traceback" not in err:
        return f"'{errors[0]}'"
    return f"NOT one line: ...{err[-300:]!r}"


# ------------------------------------------------------------------------------------------------ disk cases
def train_tiny(work: Path) -> tuple[Path, Path]:
    (work / "fr.txt").write_text("\n".join(FR * 4) + "\n", encoding="utf-8")
    (work / "en.txt").write_text("\n".join(EN * 4) + "\n", encoding="utf-8")
    config = work / "tiny.yaml"
    config.write_text(f"data:\n  out: {work / 'prep'}\n  src_vectors: null\n  tgt_vectors: null\n  filters: []\n"
                      f"  processes: 1\n{MODEL}{TRAIN}", encoding="utf-8")
    for args in (["prepare", str(config), "--src", str(work / "fr.txt"), "--tgt", str(work / "en.txt")],
                 ["train", str(config), "--run-dir", str(work / "run")]):
        done = wb(*args)
        if done.returncode:
            raise SystemExit(f"{' '.join(args[:1])} failed: {done.stderr[-2000:]}")
    return config, work / "run"


def fill(mount: Path, leave: int) -> None:
    free = shutil.disk_usage(mount).free
    with open(mount / "filler.bin", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def disk_cases(work: Path, config: Path, run: Path) -> list[list[str]]:
    rows = []
    mount = work / "tmpfs"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)],
                             capture_output=True).returncode == 0
    try:
        if mounted:
            target = mount / "run"
            shutil.copytree(run, target)
            before = (target / "latest.pt").read_bytes()
            fill(mount, 64 * 1024)
            done = wb("train", str(config), "--run-dir", str(target), "--resume", "--set", "train.epochs=3")
            temps = [p.name for p in target.iterdir() if p.name.endswith(".tmp")]
            intact = (target / "latest.pt").read_bytes() == before
            rows.append(["disk full during training (20 MB tmpfs)", "exit 2, one line 'no space left ...', "
                         "latest.pt intact, no temp file",
                         f"exit {done.returncode}, {one_line(done.stderr)}; latest.pt "
                         f"{'intact' if intact else 'CHANGED'}; temp files: {temps or 'none'}"])
            (mount / "filler.bin").unlink()
            fill(mount, 16 * 1024)
            done = wb("prepare", str(config), "--src", str(work / "fr.txt"), "--tgt", str(work / "en.txt"),
                      "--out", str(mount / "prep"))
            left = sorted(p.name for p in mount.iterdir() if p.name != "filler.bin" and p.name != "run")
            rows.append(["disk full during prepare (atomic folder)", "exit 2, one line, nothing left",
                         f"exit {done.returncode}, {one_line(done.stderr)}; left: {left or 'nothing'}"])
        else:
            rows.append(["disk full (tmpfs)", "exit 2, one line", "not run: mounting a tmpfs needs root "
                         "(tests/unit/test_atomic_faults.py simulates ENOSPC)"])
    finally:
        if mounted:
            subprocess.run(["umount", str(mount)], capture_output=True)
    mode = oct((work / "prep").stat().st_mode & 0o777)
    rows.append(["prepared folder permissions (umask 022)", "0o755 (was 0o700)", mode])
    sys.path.insert(0, str(ROOT / "src"))
    from wordbridge import atomic  # the benchmark measures the product's writer (src/ put on the path above)

    calls = []
    real = os.fsync
    atomic.os.fsync = lambda fd: (calls.append(os.readlink(f"/proc/self/fd/{fd}")), real(fd))
    try:
        atomic.write_json(work / "x.json", {"a": 1})
    finally:
        atomic.os.fsync = real
    rows.append(["power cut: durable atomic write", "fsync temp file, rename, fsync folder",
                 " then ".join("temp file" if c.endswith(".tmp") else "folder" for c in calls)])
    return rows


# ------------------------------------------------------------------------------------------------ server side
def fakes_module():
    spec = importlib.util.spec_from_file_location("faults_fakes", ROOT / "tests" / "fakes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def server_main(args: argparse.Namespace) -> None:
    """The product's app and uvicorn options over the real tiny Translator and the tests' FakeSearcher, whose
    gallery files come from the product's Searcher.image_path over a real index."""
    import logging

    import numpy as np
    import uvicorn

    from wordbridge.cli import setup_logging
    from wordbridge.devise.backbones.images import load_image
    from wordbridge.devise.index.gallery import Gallery, index_folder
    from wordbridge.devise.search import Searcher
    from wordbridge.serve.app import create_app
    from wordbridge.serve.config import ServeSettings
    from wordbridge.serve.limits import uvicorn_options
    from wordbridge.translate.translator import Translator

    setup_logging(False)
    logging.getLogger("wordbridge").setLevel(logging.INFO)
    fakes = fakes_module()
    gallery = Path(args.gallery)
    items = fakes.make_gallery(gallery, copies=1)
    fakes.make_gallery(gallery.parent / "outside", copies=1)
    os.symlink(next((gallery.parent / "outside").rglob("*.png")), gallery / "leak.png")  # leaves the gallery
    index = gallery.parent / "index"
    index_folder(gallery, index, "bench", lambda ims: np.stack([np.asarray(im, np.float32).reshape(-1, 3).mean(0) + 1
                                                                for im in ims]), load_image)
    real = Searcher(argparse.Namespace(config={}, extra={}), Gallery.load(index), None, None)

    class BenchSearcher(fakes.FakeSearcher):
        def image_path(self, image_id: int) -> Path:
            return real.image_path(image_id)

    app = create_app(Translator.load(args.run), BenchSearcher(items), ServeSettings())
    print("LEAK_ID", next(im["id"] for im in real.gallery.images if im["path"] == "leak.png"), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=args.port, **uvicorn_options(ServeSettings()))


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60.0) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body, headers or {})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def multipart(data: bytes) -> tuple[bytes, dict]:
    b = "faultsboundary"
    body = (f'--{b}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png'
            f"\r\n\r\n").encode() + data + f"\r\n--{b}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={b}"}


def png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def idle_sockets(port: int, stop: threading.Event) -> dict:
    """50 silent and 10 slow-header sockets; returns {closed, opened, max_open_s} once `stop` is set."""
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
    opened_at = time.monotonic()
    for s in socks[50:]:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    closed_at: dict[int, float] = {}
    for s in socks:
        s.setblocking(False)
    while not stop.is_set():
        for i, s in enumerate(socks):
            if i in closed_at:
                continue
            try:
                if s.recv(1024) == b"":
                    closed_at[i] = time.monotonic() - opened_at
            except BlockingIOError:
                if i >= 50:
                    try:
                        s.sendall(b"X-Slow: 1\r\n")
                    except OSError:
                        closed_at[i] = time.monotonic() - opened_at
            except OSError:
                closed_at[i] = time.monotonic() - opened_at
        stop.wait(1.0)
    for s in socks:
        s.close()
    return {"closed": len(closed_at), "opened": len(socks), "max_open_s": max(closed_at.values(), default=None)}


def load_case(port: int, pid: int, image: bytes, seconds: float) -> dict:
    """/health latencies, upload statuses, RSS growth and idle sockets while 8 clients upload `image`."""
    stop = threading.Event()
    statuses: list[int] = []
    idle: dict = {}
    body, headers = multipart(image)

    def uploader():
        while not stop.is_set():
            statuses.append(request(port, "POST", "/api/search/image", body, headers)[0])

    rss = PeakRSS(pid, interval=0.05)
    base = rss.sample()
    threads = [threading.Thread(target=lambda: idle.update(idle_sockets(port, stop)))]
    threads += [threading.Thread(target=uploader) for _ in range(8)]
    lat = []
    with rss:
        for t in threads:
            t.start()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            t0 = time.perf_counter()
            request(port, "GET", "/health")
            lat.append(time.perf_counter() - t0)
            time.sleep(0.02)
        stop.set()
        for t in threads:
            t.join(60)
    lat.sort()
    return {"p99_ms": lat[max(0, int(len(lat) * 0.99) - 1)] * 1e3, "n": len(lat), "statuses": statuses,
            "rss_growth_mib": (rss.peak - base) / 2**20, "idle": idle}


def server_cases(work: Path, run: Path, seconds: float) -> tuple[list[list[str]], list[dict]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = work / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen([sys.executable, __file__, "_server", "--port", str(port), "--run", str(run),
                                 "--gallery", str(work / "gallery")], stdout=log_file, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
    rows, loads = [], []
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if request(port, "GET", "/health", timeout=5)[0] == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("server did not start:\n" + log_path.read_text()[-3000:])
                time.sleep(0.3)
        status, headers, _ = request(port, "GET", "/health")
        rows.append(["`server:` header", "absent", headers.get("server", "absent")])
        long_text = " ".join([MARKER] * 300)[:1000]
        status, _, body = request(port, "POST", "/api/translate", json.dumps({"text": [long_text] * 64, "beam": 10})
                                  .encode(), {"content-type": "application/json"})
        rows.append(["translate 64 x 1,000 chars at beam 10", "413, JSON error", f"{status}: "
                     f"{json.loads(body)['detail'][:90]}..."])
        request(port, "POST", "/api/translate", json.dumps({"text": long_text, "beam": 1}).encode(),
                {"content-type": "application/json"})  # a long input is truncated: logged, by its length only
        status, _, body = request(port, "POST", "/api/translate", json.dumps({"text": "a" * 1001}).encode(),
                                  {"content-type": "application/json"})
        rows.append(["over-long text", "422 without 'valid list'", f"{status}: {json.loads(body)['detail']}"])
        status, _, body = request(port, "POST", "/api/search/image", *multipart(b""))
        rows.append(["0-byte upload", "400 'empty file'", f"{status}: {json.loads(body)['detail'][:60]}"])
        leak = next(int(ln.split()[1]) for ln in log_path.read_text().splitlines() if ln.startswith("LEAK_ID"))
        status, _, body = request(port, "GET", f"/api/images/{leak}")
        rows.append(["gallery symlink to a file outside", "404", f"{status}"])
        rows.append(["users' text in the server log (INFO)", "absent",
                     "present" if MARKER in log_path.read_text() else "absent"])
        for label, (w, h) in (("39.7 MP PNGs", (7000, 5672)), ("15.9 MP PNGs", (4600, 3450))):
            image = png(w, h)
            result = load_case(port, proc.pid, image, seconds)
            codes = {c: result["statuses"].count(c) for c in sorted(set(result["statuses"]))}
            idle = result["idle"]
            loads.append({"uploads": label, **result, "statuses": codes, "kb": len(image) / 1024})
            rows.append([f"/health p99, 8 clients uploading {label} ({len(image) / 1024:.0f} KB) + 60 idle sockets",
                         "<= 100 ms", f"{fmt_num(result['p99_ms'])} ms ({result['n']} polls); uploads {codes}"])
            rows.append([f"server RSS growth under that load ({label})", "<= 300 MB",
                         f"{fmt_num(result['rss_growth_mib'])} MiB"])
            rows.append([f"60 idle sockets ({label} run)", "all closed by the server (header deadline 10 s)",
                         f"{idle.get('closed')}/{idle.get('opened')} closed, the last after "
                         f"{fmt_num(idle.get('max_open_s'))} s"])
    finally:
        stop_tree(proc)
    return rows, loads


def empty_gallery_case(work: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from wordbridge.devise.backbones.images import load_image  # the product's indexer (src/ put on the path above)
    from wordbridge.devise.index.gallery import index_folder
    from wordbridge.devise.index.sharding import CHUNK_SIZE
    from wordbridge.errors import DataError

    (work / "empty").mkdir()
    (work / "empty" / "zero.jpg").write_bytes(b"")
    try:
        index_folder(work / "empty", work / "empty-index", "m", lambda ims: None, load_image)
        got = "index written"
    except DataError as exc:
        got = f"DataError: {str(exc)[:70]}...; written: {'nothing' if not (work / 'empty-index').exists() else 'index'}"
    return ["index a folder whose only image is unreadable", "error, nothing written (chunk size "
            f"{CHUNK_SIZE})", got]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd")
    child = sub.add_parser("_server")
    child.add_argument("--port", type=int, required=True)
    child.add_argument("--run", required=True)
    child.add_argument("--gallery", required=True)
    p.add_argument("--seconds", type=float, default=20.0, help="duration of each load case (default 20)")
    p.add_argument("--json", help="also write the rows and load figures here")
    args = p.parse_args(argv)
    if args.cmd == "_server":
        server_main(args)
        return 0
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="wb-faults-") as tmp:
        work = Path(tmp)
        old = os.umask(0o022)
        config, run = train_tiny(work)
        os.umask(old)
        rows = disk_cases(work, config, run)
        server_rows, loads = server_cases(work, run, args.seconds)
        rows += server_rows + [empty_gallery_case(work)]
    print(f"machine: {describe_machine(info)}\n")
    print(markdown_table(["case", "expected", "got"], rows, align="lll"))
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "rows": rows, "loads": loads}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
