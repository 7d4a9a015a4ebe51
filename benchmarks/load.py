"""Load benchmark of the web app's translation API: N concurrent clients calling POST /api/translate for D seconds,
once against a server with micro-batching and once without, on loopback only. Prints requests/s, p50/p99 latency and
errors for both, and the ratio.

    python benchmarks/load.py --run RUN_DIR              # a trained translation run (wordbridge train)
    python benchmarks/load.py                            # the real Translator on a random-weight default-config run
    python benchmarks/load.py --clients 32 --duration 60 --json bench-load.json
    python benchmarks/load.py --run RUN_DIR --client wrk  # wrk (C) as the load generator: benchmarks/load_wrk.py

Each server is its own process (`load.py _server ...`) so that the clients' Python does not share its GIL; both
bind 127.0.0.1 on a free port and are stopped at the end (time-bounded: warm-up + duration + start-up timeout).
The random-weight model decodes every sentence to its length limit (2 * source length + 10 tokens), which is
longer than a trained model's output: the absolute figures are then pessimistic, the ratio is what it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load_wrk  # noqa: E402
from common import busy_warning, describe_machine, fmt_num, fmt_ratio, machine_info, markdown_table, stop_tree  # noqa: E402

log = logging.getLogger("bench.load")

SENTENCES = [
    "le chat noir dort sur le canapé du salon .",
    "je voudrais une tasse de café , s' il vous plaît .",
    "cliquez sur le bouton pour enregistrer le document .",
    "au commencement , dieu créa les cieux et la terre .",
    "la voiture rouge est garée devant la maison .",
    "sélectionnez une cellule puis choisissez format .",
    "il fait beau aujourd' hui et nous allons au parc .",
    "les enfants jouent dans le jardin avec le chien .",
    "ouvrez le menu fichier et choisissez imprimer .",
    "et la lumière fut , et dieu vit que la lumière était bonne .",
    "elle lit un livre dans la bibliothèque de la ville .",
    "pour insérer une image , faites glisser le fichier dans le document .",
]


# ------------------------------------------------------------------------------------------------ server side
def build_random_run(folder: Path, vocab_size: int, seed: int = 0) -> Path:
    """A run folder as `wordbridge train` writes it (vocabularies, spaCy tokenizer description, best.pt) holding the
    default-config Seq2Seq with random weights: the real Translator then loads and decodes it like a trained run."""
    import torch

    from wordbridge.text.tokenize import save_tokenizer_config
    from wordbridge.text.vocab import Vocab
    from wordbridge.train.checkpoint import save_checkpoint
    from wordbridge.translate.config import ModelConfig
    from wordbridge.translate.model import Seq2Seq

    folder.mkdir(parents=True, exist_ok=True)
    words = [s.split() for s in SENTENCES] + [[f"w{i}" for i in range(vocab_size)]]
    src = tgt = Vocab.build(words, max_size=vocab_size)
    src.save(folder / "vocab.src.json")
    tgt.save(folder / "vocab.tgt.json")
    save_tokenizer_config(folder, "spacy", True, "fr", "en")
    torch.manual_seed(seed)
    model = Seq2Seq(ModelConfig(), len(src), len(tgt))
    save_checkpoint(folder / "best.pt", kind="translate", model=model, model_args=model.model_args(), rng=False)
    return folder


def serve_child(args: argparse.Namespace) -> None:
    """`load.py _server`: one uvicorn server with or without batching, until SIGTERM; prints its batch stats."""
    import uvicorn

    from wordbridge.serve.app import create_app
    from wordbridge.serve.config import ServeSettings
    from wordbridge.serve.limits import uvicorn_options
    from wordbridge.serve.server import warm_up

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from wordbridge.translate.translator import Translator

    translator = Translator.load(args.run, device="cpu")
    warm_up(translator, None)  # as `wordbridge serve` does: lazy loading is not measured
    settings = ServeSettings(batching=args.mode == "batched", max_batch=args.max_batch, batch_wait_ms=args.wait_ms)
    app = create_app(translator, None, settings)
    stats = app.state.wordbridge.batcher.stats

    def report_and_exit(signum, frame):  # uvicorn re-raises SIGTERM after its graceful shutdown
        print("BATCHSTATS " + json.dumps({"batches": stats.batches, "texts": stats.texts, "largest": stats.largest}),
              flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, report_and_exit)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", **uvicorn_options(settings))


# ------------------------------------------------------------------------------------------------ client side
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout_s:.0f} s")


async def _client(http, url: str, stop_at: float, record_from: float, idx: int, beam: int, out: dict) -> None:
    n = idx
    while time.monotonic() < stop_at:
        text = SENTENCES[n % len(SENTENCES)]
        n += 1
        start = time.monotonic()
        try:
            r = await http.post(url + "/api/translate", json={"text": text, "beam": beam})
            ok = r.status_code == 200 and len(r.json()["translations"]) == 1
        except Exception:  # any transport error counts as an error; the run goes on
            ok = False
        end = time.monotonic()
        if record_from <= end <= stop_at:  # completed inside the measured window
            (out["latencies"] if ok else out["errors"]).append(end - start)
        elif not ok and end > stop_at:
            out["late_errors"].append(end - start)


async def drive(url: str, clients: int, warmup_s: float, duration_s: float, beam: int) -> dict:
    """`clients` coroutines posting one sentence at a time; only requests inside the measured window count."""
    import httpx

    out: dict = {"latencies": [], "errors": [], "late_errors": []}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as http:
        now = time.monotonic()
        record_from, stop_at = now + warmup_s, now + warmup_s + duration_s
        await asyncio.gather(*(_client(http, url, stop_at, record_from, i, beam, out) for i in range(clients)))
    lat = sorted(out["latencies"])
    return {
        "requests": len(lat),
        "errors": len(out["errors"]) + len(out["late_errors"]),
        "rps": len(lat) / duration_s,
        "p50_ms": percentile(lat, 50) * 1e3 if lat else float("nan"),
        "p99_ms": percentile(lat, 99) * 1e3 if lat else float("nan"),
    }


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    rank = max(1, int(-(-q * len(sorted_values) // 100)))  # ceil(q/100 * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def run_mode(mode: str, args: argparse.Namespace, logdir: Path) -> dict:
    port = free_port()
    cmd = [sys.executable, str(Path(__file__).resolve()), "_server", "--mode", mode, "--port", str(port),
           "--max-batch", str(args.max_batch), "--wait-ms", str(args.wait_ms), "--threads", str(args.threads)]
    if args.run:
        cmd += ["--run", str(args.run)]
    log_path = logdir / f"server-{mode}.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, proc, args.startup_timeout)
        log.info("%s: %d clients for %.0f s (+%.0f s warm-up) ...", mode, args.clients, args.duration, args.warmup)
        if args.client == "wrk":
            result = load_wrk.drive(url, args.clients, args.warmup, args.duration, args.beam, SENTENCES)
        else:
            result = asyncio.run(drive(url, args.clients, args.warmup, args.duration, args.beam))
    finally:
        stop_tree(proc, grace_s=10.0)
    for line in log_path.read_text(errors="replace").splitlines():
        if line.startswith("BATCHSTATS "):
            stats = json.loads(line.split(" ", 1)[1])
            result["mean_batch"] = stats["texts"] / max(1, stats["batches"])
            result["largest_batch"] = stats["largest"]
    return {"mode": mode, **result}


def report(results: list[dict], args: argparse.Namespace) -> str:
    rows = [[r["mode"], args.clients, fmt_num(args.duration, 0), r["requests"], fmt_num(r["rps"]),
             fmt_num(r["p50_ms"]), fmt_num(r["p99_ms"]), r["errors"], fmt_num(r.get("mean_batch"), 1)]
            for r in results]
    table = markdown_table(["server", "clients", "seconds", "requests", "req/s", "p50 ms", "p99 ms", "errors",
                            "mean batch"], rows)
    by_mode = {r["mode"]: r for r in results}
    model = args.model or f"run {args.run}"
    tail = f"model: {model} · beam {args.beam} · client {args.client}"
    if {"batched", "unbatched"} <= by_mode.keys():
        ratio = fmt_ratio(by_mode["batched"]["rps"], by_mode["unbatched"]["rps"])
        tail = f"batched / unbatched requests/s: {ratio} · {tail}"
    return f"{table}\n\n{tail}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd")
    child = sub.add_parser("_server", help="internal: one server process")
    child.add_argument("--mode", choices=["batched", "unbatched"], required=True)
    child.add_argument("--port", type=int, required=True)
    child.add_argument("--run", default=None)
    child.add_argument("--max-batch", type=int, default=32)
    child.add_argument("--wait-ms", type=float, default=5.0)
    child.add_argument("--threads", type=int, default=0)
    p.add_argument("--run", default=None, help="translation run folder (default: a random-weight default model)")
    p.add_argument("--vocab", type=int, default=30000, help="vocabulary size of the random-weight run (30000)")
    p.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    p.add_argument("--duration", type=float, default=60.0, help="measured seconds per server (default 60)")
    p.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds before (default 3)")
    p.add_argument("--beam", type=int, default=1, help="beam size of every request (default 1)")
    p.add_argument("--max-batch", type=int, default=32, help="server max batch (default 32)")
    p.add_argument("--wait-ms", type=float, default=5.0, help="server batch wait, ms (default 5)")
    p.add_argument("--threads", type=int, default=1, help="torch threads in the server, 0 = torch's default (default 1)")
    p.add_argument("--startup-timeout", type=float, default=120.0, help="seconds to wait for a server (default 120)")
    p.add_argument("--modes", default="unbatched,batched", help="comma list (default unbatched,batched)")
    p.add_argument("--client", choices=["httpx", "wrk"], default="httpx",
                   help="load generator: httpx (Python coroutines, default) or wrk (C; apt-get install wrk), which "
                        "leaves the server the CPU the Python client takes")
    p.add_argument("--json", default=None, help="also write the results here")
    args = p.parse_args(argv)
    args.model = None
    if getattr(args, "client", None) == "wrk":
        load_wrk.require_wrk()
    if args.cmd is None and (args.clients < 1 or args.duration <= 0 or args.warmup < 0):
        p.error("--clients must be >= 1, --duration > 0 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.cmd == "_server":
        serve_child(args)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="wordbridge-load-") as tmp:
        if args.run is None:
            log.info("building a random-weight run (default model config, %d-word vocabularies)", args.vocab)
            args.run = build_random_run(Path(tmp) / "random-run", args.vocab)
            args.model = f"default-config Seq2Seq, random weights, {args.vocab}-word vocabularies"
        results = [run_mode(mode, args, Path(tmp)) for mode in args.modes.split(",")]
    print(report(results, args))
    print(describe_machine(info) + f" · load average {os.getloadavg()[0]:.1f} at the end")
    warning = busy_warning(info, 1)
    if warning:
        print("warning: " + warning)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "args": vars(args), "results": results}, indent=2,
                                              default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
