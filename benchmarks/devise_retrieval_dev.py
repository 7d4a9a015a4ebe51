"""Text -> images settings chosen on a dev split that is not the reported one (docs/devise-e5.md#text-search-ranking).

    python benchmarks/devise_retrieval_dev.py RUN_DIR [--folds 3] [--weights 0 0.25 0.5 0.75 1 1.5] [--out dev.md]

The reported caption rows (`devise evaluate`) query the validation stamps. Here each fold re-fits the run's head
(same config, same training engine) without 15% of the TRAINING stamp and emoji classes (seeded per fold) and without
a pair of training Fashion-MNIST classes, then queries the held-out training stamps by their English and French
captions among all stamps, embedded by that fold's head: no reported query takes part. Each query is ranked by plain
cosine and by CSLS (k = the run's devise.hubness_k, or 10), over gallery embeddings = head + w x ConSE for each w
(devise.gallery_conse). One markdown table of hit@1/5/10, pooled over the folds.
"""

import argparse
import datetime
import logging
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from wordbridge.atomic import write_text
from wordbridge.config import from_dict
from wordbridge.devise.config import DeviseConfig
from wordbridge.devise.data import load_tuxpaint_stamps
from wordbridge.devise.distill import targets_for
from wordbridge.devise.evaluation.captions import query_vectors
from wordbridge.devise.index.hubness import HUBNESS_K, csls, neighbour_mean, reference_vectors
from wordbridge.devise.methods import conse_vectors
from wordbridge.devise.model import RunModel, embed_features
from wordbridge.devise.training import distill_rows, fit_head, prepare
from wordbridge.text.vectors import l2_normalize

FM_PAIRS = (("coat", "bag"), ("t-shirt", "sneaker"), ("dress", "trousers"))  # never the calibration pair


def fold_rows(prep, fold: int, share: float = 0.15):
    """(training rows kept, held-out classes) of a fold: a seeded share of the training stamp and emoji classes and
    one Fashion-MNIST pair."""
    train = prep.rows("train", unseen=False)
    sources = np.array([prep.data.sources[prep.item[r]] for r in train])
    rng = np.random.default_rng(1000 + fold)
    held = {prep.classes.index(c) for c in FM_PAIRS[(fold - 1) % len(FM_PAIRS)] if c in prep.classes}
    for source in ("tuxpaint", "emoji"):
        classes = sorted({int(c) for c in prep.item_class[train][sources == source]})
        held |= set(rng.choice(classes, size=int(share * len(classes)), replace=False).tolist()) if classes else set()
    return train[~np.isin(prep.item_class[train], list(held))], held


def ranks(scores: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """scores (q, n), truth (q,) -> (q,) images scoring strictly higher than the right one."""
    return (scores > scores[np.arange(len(truth)), truth][:, None]).sum(axis=1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
    ap.add_argument("--out", default="devise_retrieval_dev.md")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    started = datetime.datetime.now(datetime.timezone.utc)
    model = RunModel.load(args.run_dir)
    cfg = from_dict(DeviseConfig, model.config.get("devise"), "devise")
    torch.set_num_threads(cfg.train.threads or 1)
    prep = prepare(cfg, backbone=model.backbone)
    k = cfg.hubness_k or HUBNESS_K
    targets, extra = targets_for(prep, cfg.distill, cfg.distill_top), distill_rows(prep, cfg)
    valid = prep.rows("valid", unseen=False)
    stamps = np.concatenate([prep.rows("train", source="tuxpaint"), prep.rows("valid", source="tuxpaint")])
    position = {int(r): j for j, r in enumerate(stamps)}
    items = {item.path: item for item in load_tuxpaint_stamps()}
    conse = conse_vectors(prep.logits[stamps], prep.labels.imagenet_vectors, cfg.conse_top)
    refs = reference_vectors(prep.labels, prep.class_vectors)
    found = {}
    for fold in range(1, args.folds + 1):
        keep, held = fold_rows(prep, fold)
        x, y = prep.pooled[keep], targets[keep]
        if extra is not None:
            x, y = np.concatenate([x, extra[0]]), np.concatenate([y, extra[1]])
        with tempfile.TemporaryDirectory() as folder:
            head, _ = fit_head(x, y, prep.pooled[valid], targets[valid], cfg, Path(folder))
        devise = embed_features(head, torch.from_numpy(prep.pooled[stamps])).numpy()
        queries = [r for r in prep.rows("train", source="tuxpaint") if int(prep.item_class[r]) in held]
        queries = [(position[int(r)], items[prep.data.images[prep.item[r]]]) for r in queries
                   if getattr(items.get(prep.data.images[prep.item[r]]), "label_fr", None)]
        truth = np.array([p for p, _ in queries])
        print(f"fold {fold}: {len(keep)} training rows, {len(truth)} caption queries", file=sys.stderr, flush=True)
        langs = [("English", [i.label for _, i in queries])]
        if getattr(prep.lookup, "encodes_text", False):  # French captions search directly in the e5 space only
            langs.append(("French", [i.label_fr for _, i in queries]))
        for lang, texts in langs:
            vecs = query_vectors(prep.lookup, texts)  # a query without a vector (word vectors) is a miss
            q = np.stack([v if v is not None else np.zeros(devise.shape[1], np.float32) for v in vecs])  # (q, dim)
            missing = np.array([v is None for v in vecs])
            for w in args.weights:
                gallery = l2_normalize(devise + w * conse) if w else devise
                cos = q @ gallery.T
                for ranking, scores in (("cosine", cos), (f"CSLS k={k}", csls(cos, neighbour_mean(gallery, refs, k)))):
                    r = ranks(scores, truth)
                    r[missing] = len(gallery)  # no vector: a miss
                    found.setdefault((lang, w, ranking), []).append(r)
    lines = ["| caption | gallery_conse | ranking | queries | hit@1 | hit@5 | hit@10 |",
             "|:--|--:|:--|--:|--:|--:|--:|"]
    for (lang, w, ranking), rs in found.items():
        r = np.concatenate(rs)
        lines.append(f"| {lang} | {w:g} | {ranking} | {len(r)} | " +
                     " | ".join(f"{100 * float((r < n).mean()):.1f}%" for n in (1, 5, 10)) + " |")
    out = (f"DeViSE text -> images dev folds, {started:%Y-%m-%d %H:%M} UTC, {platform.node()}; command: "
           f"`python benchmarks/devise_retrieval_dev.py {' '.join(argv if argv is not None else sys.argv[1:])}`\n\n"
           + "\n".join(lines) + "\n")
    write_text(Path(args.out), out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
