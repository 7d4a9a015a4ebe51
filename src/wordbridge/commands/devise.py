"""`wordbridge devise {train,index,search,evaluate}`: DeViSE visual-semantic embedding and image search."""

import argparse
import json
import logging
import re
import sys
from pathlib import Path

from wordbridge.commands import SUMMARIES
from wordbridge.config import load_sections
from wordbridge.devise.index.choices import CHUNK_SIZE, FLAT_MAX, KINDS
from wordbridge.errors import ConfigError, DataError
from wordbridge.results import IMAGE_METHODS as METHODS

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser("devise", help=SUMMARIES["devise"],
                              description="DeViSE (the lesson's visual-semantic embedding): images are mapped into "
                              "the English word-vector space, so words find images and images find labels, "
                              "including WordNet nouns never trained on.")
    sub = p.add_subparsers(dest="devise_command", metavar="ACTION", required=True)
    for add in (_add_train, _add_index, _add_search, _add_evaluate):
        add(sub)


def _add_train(sub) -> None:
    t = sub.add_parser("train", help="train the DeViSE head on cached backbone features; writes a run folder")
    t.add_argument("config", nargs="?", default="devise", help="YAML config with a `devise` section, or a "
                   "packaged one by name (default: devise, configs/devise.yaml)")
    t.add_argument("--out", default="runs/devise", help="run folder to write (default: runs/devise)")
    t.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. devise.train.epochs=5 (repeatable)")
    t.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    t.set_defaults(func=run_train)


def _add_index(sub) -> None:
    i = sub.add_parser("index", help="embed a folder of images into a faiss index (incremental, resumable)",
                       description="Embed a folder of images into a faiss index. Incremental: a second run embeds "
                       "only new or changed files and drops deleted ones. Resumable: files are embedded in chunks "
                       "written to INDEX's hidden .parts folder, and a killed run restarted with the same command "
                       "skips the chunks already written. Scale out with torchrun: `torchrun --nproc_per_node=N -m "
                       "wordbridge devise index ...` splits the chunks across the processes (and machines, with "
                       "--nnodes/--rdzv-endpoint; the folders must then be on a shared filesystem); rank 0 builds "
                       "the index. The index kind follows the gallery's size: exact up to "
                       f"{FLAT_MAX:,} images, then IVF (nprobe tuned to recall@10 >= 0.99 vs exact), IVF-PQ when "
                       "the vectors would not fit --max-ram.")
    i.add_argument("run_dir", help="a DeViSE run folder (from `devise train`)")
    i.add_argument("image_folder", help="folder of images (searched recursively; sub-folder names become labels)")
    i.add_argument("--out", help="index folder (default: RUN_DIR/indexes/<folder name>)")
    i.add_argument("--batch-size", type=int, default=32, help="images embedded per batch (default 32)")
    i.add_argument("--workers", type=int, default=1,
                   help="DataLoader worker processes decoding and resizing images, per process (default 1)")
    i.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where the backbone runs (default auto: cuda when present)")
    i.add_argument("--chunk-size", type=int, default=CHUNK_SIZE,
                   help=f"images per chunk written to disk, the unit of resuming and of the split across "
                   f"processes; a kill loses at most one chunk's work per process (default {CHUNK_SIZE})")
    i.add_argument("--max-ram", metavar="SIZE", help="RAM budget of the index, e.g. 1.5G or 800M: an IVF-PQ index "
                   "when the float32 vectors would not fit (default: no budget)")
    i.add_argument("--index-type", choices=("auto",) + KINDS, default="auto",
                   help="force an index kind (default auto: chosen by size)")
    i.add_argument("--overwrite", action="store_true", help="replace an index of another model or folder")
    i.add_argument("--allow-empty", action="store_true",
                   help="write an index even when the folder has no readable image (default: an error)")
    i.set_defaults(func=run_index)


def _add_search(sub) -> None:
    s = sub.add_parser("search", help="image -> labels and similar images; words -> images")
    s.add_argument("run_dir", help="a DeViSE run folder")
    s.add_argument("--index", help="index folder from `devise index` (needed for --text and --similar)")
    mode = s.add_mutually_exclusive_group(required=True)
    mode.add_argument("--image", metavar="FILE", help="an image: top-k ImageNet classes and WordNet nouns")
    mode.add_argument("--text", metavar="WORDS", help='one or more words ("boat", "engine boat"): top-k images; '
                      'in any language for a run trained with devise.vectors=e5 ("un bateau à voile")')
    mode.add_argument("--similar", metavar="FILE_OR_ID", help="an image file or an image id of the index: "
                      "top-k similar images")
    s.add_argument("-k", type=int, default=9, help="how many results (default 9)")
    s.add_argument("--method", choices=METHODS, help="image -> labels (with --image only): devise (the trained "
                   "head), conse (the ImageNet classifier's label vectors), blend (both); default: the run's "
                   "devise.method")
    s.add_argument("--lang", choices=("en", "fr"), default="en", help="language of the labels of --image: fr names "
                   "each label by its nearest French word (runs trained with devise.vectors=e5 only; default en)")
    s.add_argument("--json", action="store_true", help="print JSON instead of text")
    s.set_defaults(func=run_search)


def _add_evaluate(sub) -> None:
    e = sub.add_parser("evaluate", help="hit@k (flat and zero-shot) per method, photo check, captions -> images",
                       description="Tables of hit@k per method (devise, conse, blend; raw and calibrated) vs a "
                       "softmax baseline, the labels of scikit-image's photos, and captions -> images on the Tux "
                       "Paint stamps never trained on (English captions; French ones through --translator).")
    e.add_argument("run_dir", help="a DeViSE run folder")
    e.add_argument("--translator", metavar="RUN_DIR", help="a translation run folder (wordbridge train): adds the "
                   "French caption -> translation -> image search row")
    e.add_argument("--no-photos", action="store_true", help="skip the scikit-image photo check")
    e.set_defaults(func=run_evaluate)


def run_train(args: argparse.Namespace) -> int:
    from wordbridge.devise.config import DeviseConfig  # deferred: numpy and the word vectors only to train
    from wordbridge.devise.training import train_devise  # deferred: torch loads only when a command trains

    cfg = load_sections(args.config, {"devise": DeviseConfig}, overrides=args.set)["devise"]
    summary = train_devise(cfg, args.out, overwrite=args.overwrite)
    best = summary.get("best") or {}
    sys.stdout.write(f"run: {args.out}  classes: {summary['classes']}  train images: {summary['train_images']}  "
                     f"best valid loss: {best.get('value', float('nan')):.4f}  model: {summary['fingerprint']}\n")
    return 0


def parse_size(text: str | None) -> int | None:
    """'1.5G', '800M', '64k', '1000000' -> bytes (binary units); None stays None."""
    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", text.lower())
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(f"Invalid --max-ram '{text}': give a size such as 1.5G, 800M or 1000000 (bytes).")
    return int(float(match.group(1)) * 1024 ** " kmgt".index(match.group(2) or " "))


def run_index(args: argparse.Namespace) -> int:
    for flag, value, low in (("--batch-size", args.batch_size, 1), ("--workers", args.workers, 0),
                             ("--chunk-size", args.chunk_size, 1)):
        if value < low:
            raise ConfigError(f"Invalid {flag} {value}: must be >= {low}.")
    max_ram = parse_size(args.max_ram)
    from wordbridge.devise.index.gallery import index_folder  # deferred: faiss loads only to index
    from wordbridge.devise.model import RunModel  # deferred: torch loads only to index
    from wordbridge.devise.index.sharding import model_embedder  # deferred: torch loads only to index
    from wordbridge.train import distributed  # deferred: torch loads only to index

    info = distributed.init_from_env("cpu" if args.device == "cpu" else "auto")
    try:
        model = RunModel.load(args.run_dir)
        folder = Path(args.image_folder)
        out = Path(args.out) if args.out else Path(args.run_dir) / "indexes" / (folder.resolve().name or "gallery")
        embed = model_embedder(model, args.batch_size, args.workers, args.device)
        counts = index_folder(folder, out, model.gallery_fingerprint, embed, overwrite=args.overwrite, info=info,
                              max_ram=max_ram, kind=None if args.index_type == "auto" else args.index_type,
                              chunk_size=args.chunk_size, allow_empty=args.allow_empty)
    finally:
        distributed.cleanup()
    if counts is None:  # ranks > 0: rank 0 reports
        return 0
    resumed = f"  resumed: {counts['resumed_chunks']} of {counts['chunks']} chunks" if counts["resumed_chunks"] else ""
    sys.stdout.write(f"index: {out}  images: {counts['images']} (new {counts['new']}, kept {counts['kept']}, "
                     f"removed {counts['removed']})  unreadable skipped: {counts['skipped']}  "
                     f"other files ignored: {counts['ignored']}{resumed}\n"
                     f"index type: {counts['describe']}\n")
    return 0


def _similar(searcher, value: str, k: int):
    path = Path(value)
    if not path.is_file() and value.isdigit():
        return searcher.similar(int(value), k)
    if searcher.gallery is not None and path.is_file():
        resolved = path.resolve()
        for im in searcher.gallery.images:  # an indexed image: leave itself out
            if searcher.gallery.folder / im["path"] == resolved:
                return searcher.similar(im["id"], k)
    return searcher.search_vector(searcher.image_vector(value), k)


def run_search(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise ConfigError(f"Invalid -k {args.k}: must be >= 1.")
    if args.index is None and not args.image:
        raise DataError("--text and --similar search an image index: pass --index INDEX_DIR.")
    if args.method is not None and not args.image:
        raise ConfigError("--method picks how an --image is labelled; --text and --similar rank the index by the "
                          "DeViSE embedding alone: drop --method.")
    if args.lang != "en" and not args.image:
        raise ConfigError("--lang names the labels of --image; text queries take any language in an e5 run.")
    from wordbridge.devise.search import Searcher  # deferred: torch and faiss load only to search

    searcher = Searcher.load(args.run_dir, args.index)
    if args.image:
        french = args.lang == "fr"
        if french:
            searcher.in_french([])  # a run outside the e5 space: one line before any image work
        result = searcher.search_image(args.image, args.k, args.method)
        payload = {"method": args.method or searcher.method, "labels": _labels(searcher, result.labels, french),
                   "zero_shot": _labels(searcher, result.zero_shot, french),
                   "similar": [_hit(searcher, h) for h in result.similar]}
        if searcher.gallery is None:  # no --index: no gallery to find similar images in
            del payload["similar"]
    elif args.text is not None:
        payload = {"images": [_hit(searcher, h) for h in searcher.search_text(args.text, args.k)]}
    else:
        payload = {"images": [_hit(searcher, h) for h in _similar(searcher, args.similar, args.k)]}
    gallery = searcher.gallery
    if args.json:
        if gallery is not None:  # which index answered: kind, factory, nprobe, recall@10 measured at build
            payload["index"] = {**gallery.index_info, "describe": gallery.describe()}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write((f"index: {gallery.describe()}\n" if gallery is not None else "") + format_result(payload))
    return 0


def _labels(searcher, hits, french: bool) -> list[dict]:
    """Label hits as dicts; in French, `name` is the nearest French label and `english` the label's own name."""
    if not french:
        return [vars(h) for h in hits]
    return [{**vars(h), "name": fr, "english": h.name} for h, fr in zip(hits, searcher.in_french(hits))]


def _hit(searcher, hit) -> dict:
    return {**vars(hit), "file": str(searcher.image_path(hit.id))}


def format_result(payload: dict) -> str:
    titles = {"labels": "ImageNet classes", "zero_shot": "WordNet nouns (zero-shot)", "similar": "similar images",
              "images": "images"}
    lines = []
    for key, hits in payload.items():
        if key == "method":
            continue
        lines.append(f"{titles[key]}" + (f" (method {payload['method']})" if key == "labels" else "") + ":")
        for h in hits:
            english = f"{h['english']}, " if "english" in h else ""  # --lang fr: the label's English name too
            what = h["file"] if "file" in h else f"{h['name']} ({english}{h['wnid']})"
            what += f"  [{h['caption']}]" if h.get("caption") else ""
            lines.append(f"  {h['score']:.3f}  {what}")
        if not hits:
            lines.append("  (none)")
    return "\n".join(lines) + "\n"


def _translate_with(run_dir: str):
    from wordbridge.translate.translator import Translator  # deferred: torch loads only when a model is asked for

    translator = Translator.load(run_dir)
    return lambda texts: [t.text for t in translator.translate(texts)]


def run_evaluate(args: argparse.Namespace) -> int:
    from wordbridge.devise.evaluation.evaluate import evaluate_run  # deferred: torch loads only to evaluate

    translate = _translate_with(args.translator) if args.translator else None
    table, _ = evaluate_run(args.run_dir, photos=not args.no_photos, translate=translate)
    sys.stdout.write(table + "\n")
    return 0
