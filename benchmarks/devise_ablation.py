"""DeViSE ablation: word vectors x distillation, every image -> labels method, one run -> one markdown report.

    python benchmarks/devise_ablation.py [--config configs/devise.yaml] [--runs runs/devise_ablation]
                                         [--variants glove fasttext concat ...] [--translator RUN_DIR]
                                         [--out devise_ablation.md] [--set devise.KEY=VALUE ...]

Each variant is `wordbridge devise train` with a few --set overrides, then `devise evaluate` (hit@k per method, raw
and calibrated, the photo check and captions -> images). All variants share the cached backbone features, so they
differ only in the head, its targets and the label vectors. The report keeps every variant's full tables, then one
summary line per (variant, method): Fashion-MNIST seen hit@1 and generalised zero-shot hit@1/hit@5 (held-out images
among all 10 labels), stamps + emoji unseen names hit@1, photos right in the top 5, English caption -> stamp hit@10,
French caption -> stamp hit@10 by the direct route (e5 runs only) and the median ms of one text query -> vector
(LATENCY_QUERIES; in the e5 space one encoder call). Calibrated rows use the margin the run tuned on validation data.
"""

import argparse
import datetime
import logging
import platform
import sys
import time
from pathlib import Path

from wordbridge.atomic import write_text
from wordbridge.config import load_sections
from wordbridge.devise.config import DeviseConfig
from wordbridge.devise.evaluation.captions import DIRECT
from wordbridge.devise.evaluation.evaluate import evaluate_run
from wordbridge.devise.labels.spaces import label_space
from wordbridge.devise.search import query_vector
from wordbridge.devise.training import train_devise

VARIANTS = {  # name -> --set overrides on the config
    "glove": {"vectors": "glove"},
    "fasttext": {"vectors": "fasttext"},
    "concat": {"vectors": "concat"},
    "glove-no-photos": {"vectors": "glove", "data.distill_images": None},
    "glove-distill0.3": {"vectors": "glove", "distill": 0.3},
    "fasttext-no-photos": {"vectors": "fasttext", "data.distill_images": None},
    "fasttext-distill0.3": {"vectors": "fasttext", "distill": 0.3},
    "e5": {"vectors": "e5"},  # the multilingual sentence encoder's space (devise/labels/e5.py)
    # text -> images without the retrieval defaults of docs/devise-e5.md (search-time settings: the same head)
    "e5-head-gallery": {"vectors": "e5", "gallery_conse": 0.0},  # gallery = the head's embeddings alone
    "e5-cosine": {"vectors": "e5", "gallery_conse": 0.0, "hubness_k": 0},  # ... and plain cosine (no CSLS)
}
LATENCY_QUERIES = ("cat", "engine boat", "a red car", "un bateau à voile", "une grenouille verte", "tree", "dog",
                   "a black and white bird", "pomme", "sailing ship")
GZSL = "Fashion-MNIST, held-out classes (all 10 labels)"


def pick(rows: list[dict], test_set: str, method: str, calibrated: bool) -> dict | None:
    for r in rows:
        if r["test set"] == test_set and r["method"] == method and r["calibrated"] == calibrated:
            return r
    return None


def query_latency_ms(vectors: str, queries=LATENCY_QUERIES) -> float:
    """Median ms of one text query -> vector in this label space (the e5 space: one encoder call, not cached)."""
    lookup, _ = label_space(vectors)
    times = []
    for query in queries:
        start = time.perf_counter()
        query_vector(lookup, query, strict=False)
        times.append(1e3 * (time.perf_counter() - start))
    return sorted(times)[len(times) // 2]


def summary_lines(name: str, results: dict, latency_ms: float | None = None) -> list[str]:
    rows, lines = results["hit_at_k"], []
    photos = {p["method"]: p["photos_right"] for p in results.get("photos", [])}
    english = next((c for c in results.get("captions", []) if c["query"] == "English caption"), None)
    french = next((c for c in results.get("captions", []) if c["query"] == DIRECT), None)
    for method in dict.fromkeys(r["method"] for r in rows if r["method"] != "softmax"):
        for calibrated in (False, True):
            seen = pick(rows, "Fashion-MNIST, seen classes", method, calibrated)
            if seen is None:
                continue
            gz = pick(rows, GZSL, method, calibrated)
            stamps = pick(rows, "stamps + emoji, unseen names", method, calibrated)
            label = f"{method} + cal. ({seen['gamma']:.2f})" if calibrated else method
            cells = [name, label, f"{100 * seen['hit@1']:.1f}%", f"{100 * gz['hit@1']:.1f}%" if gz else "-",
                     f"{100 * gz['hit@5']:.1f}%" if gz else "-",
                     f"{100 * stamps['hit@1']:.1f}%" if stamps else "-", f"{photos.get(method, '-')} of 3",
                     f"{100 * english['hit@10']:.1f}%" if english else "-",
                     f"{100 * french['hit@10']:.1f}%" if french else "-",
                     f"{latency_ms:.1f}" if latency_ms is not None else "-"]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="configs/devise.yaml")
    ap.add_argument("--runs", default="runs/devise_ablation", help="where the variants' run folders go")
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--translator", help="a translation run folder: adds French caption -> image rows")
    ap.add_argument("--out", default="devise_ablation.md")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="an override for every variant, e.g. devise.train.threads=1 (repeatable)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    translate = None
    if args.translator:
        from wordbridge.translate.translator import Translator  # only with --translator: loads the NMT model

        translator = Translator.load(args.translator)

        def translate(texts):
            return [t.text for t in translator.translate(texts)]

    started = datetime.datetime.now(datetime.timezone.utc)
    summary, reports = [], []
    for name in args.variants:
        overrides = [f"devise.{k}={'null' if v is None else v}" for k, v in VARIANTS[name].items()]
        cfg = load_sections(args.config, {"devise": DeviseConfig}, overrides=args.set + overrides)["devise"]
        run = Path(args.runs) / name
        print(f"--- {name}: {' '.join(overrides)}", file=sys.stderr, flush=True)
        train_devise(cfg, run, overwrite=True)
        text, results = evaluate_run(run, translate=translate)
        reports.append(f"### {name} (`--set {' --set '.join(overrides)}`)\n\n{text}")
        summary += summary_lines(name, results, query_latency_ms(cfg.vectors))
    head = ("| variant | method | FM seen hit@1 | FM GZSL hit@1 | FM GZSL hit@5 | stamps+emoji unseen hit@1 | "
            "photos top-5 | English caption hit@10 | French caption hit@10 (direct) | text query ms |\n"
            "|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|")
    out = (f"DeViSE ablation, {started:%Y-%m-%d %H:%M} UTC, {platform.node()}; command: "
           f"`python benchmarks/devise_ablation.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n\n"
           f"{head}\n" + "\n".join(summary) + "\n\n" + "\n\n".join(reports) + "\n")
    write_text(Path(args.out), out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
