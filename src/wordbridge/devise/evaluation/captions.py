"""Captions -> images, the yardstick of the joined pipeline (French -> English translation -> DeViSE text search).

Queries: the Tux Paint stamps the head never trained on (the validation split) that have both captions, English
(the stamp's .txt line 1) and French (its `fr.utf8=` line), leading article and final stop removed ("frog",
"grenouille"). The gallery: every stamp of the run's data, embedded by the run's head. Rows:
- English caption -> text vector -> cosine over the gallery -> rank of the captioned stamp;
- French caption (direct, e5): in a run of the e5 space, the French caption itself is the query (no translator);
- French caption -> the translator (a wordbridge translation run, given to `devise evaluate --translator`) -> the
  same search.
hit@k = share of queries whose own stamp is among the k best images; the gap between the rows is the translator's
share of the error. Query words without a vector are left out (a query with none is a miss: `no vector`).
Images are ranked as search ranks them: by CSLS (devise/index/hubness.py) when the run's `devise.hubness_k` > 0, its
hubness taken from the run's label vectors; the English and direct French rows are then repeated by plain cosine
("..., cosine") for comparison.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np

from wordbridge.devise.data import load_tuxpaint_stamps
from wordbridge.devise.index.hubness import csls, neighbour_mean, reference_vectors
from wordbridge.devise.search import query_vector

log = logging.getLogger(__name__)

Translate = Callable[[list[str]], list[str]]  # French texts -> English texts, in order
DIRECT = "French caption (direct, e5)"


def caption_hits(vectors: list, gallery: np.ndarray, truth: np.ndarray, ks, penalty: np.ndarray | None = None) -> dict:
    """vectors: one (dim,) unit vector or None per query; gallery (n, dim) unit rows; truth (q,) the gallery row of
    each query's image; penalty: the images' hubness (n,) to rank by CSLS, None = cosine -> {queries, no vector,
    hit@k...}; a query without a vector is a miss."""
    ranks = np.full(len(truth), np.iinfo(np.int64).max, dtype=np.int64)
    for i, vec in enumerate(vectors):
        if vec is not None:
            scores = gallery @ vec if penalty is None else csls(gallery @ vec, penalty)  # (n,)
            ranks[i] = int((scores > scores[truth[i]]).sum())  # images scoring strictly higher
    out = {"queries": int(len(truth)), "no vector": int(sum(v is None for v in vectors))}
    out.update({f"hit@{k}": float((ranks < k).mean()) if len(truth) else float("nan") for k in ks})
    return out


def query_vectors(lookup, texts: list[str]) -> list:
    """One unit vector (or None: no word with a vector, an empty text) per query; the e5 lookup embeds them in one
    batched, cached encoder pass."""
    if getattr(lookup, "encodes_text", False):
        vecs = lookup.queries([t if t.strip() else "." for t in texts])
        return [v if t.strip() else None for v, t in zip(vecs, texts)]
    return [query_vector(lookup, t, strict=False) for t in texts]


def search_captions(lookup, gallery: np.ndarray, truth: np.ndarray, english: list[str], french: list[str],
                    translate: Translate | None, ks, penalty: np.ndarray | None = None) -> list[dict]:
    """The table's rows for given gallery embeddings (n, dim), each query's gallery row and both captions; in the
    e5 space the French captions also search directly (no translator). penalty: the images' hubness (n,): rows rank
    by CSLS, and the direct rows are repeated by cosine ("..., cosine")."""
    direct = [("English caption", query_vectors(lookup, english))]
    if getattr(lookup, "encodes_text", False):
        direct.append((DIRECT, query_vectors(lookup, french)))
    rows = [{"query": name, **caption_hits(vecs, gallery, truth, ks, penalty)} for name, vecs in direct]
    if translate is not None:
        translations = translate(list(french))
        rows.append({"query": "French caption -> translation", "examples": list(zip(french, translations))[:5],
                     **caption_hits(query_vectors(lookup, translations), gallery, truth, ks, penalty)})
    if penalty is not None:
        rows += [{"query": f"{name}, cosine", **caption_hits(vecs, gallery, truth, ks)} for name, vecs in direct]
    return rows


def caption_table(prep, embed, translate: Translate | None, ks, hubness_k: int = 0) -> list[dict]:
    """Rows for a Prepared run's data (devise/training.py); [] when the stamps are not among its sources.
    embed(pooled (n, 2C), logits (n, 1000) or None) -> the gallery embeddings (RunModel.gallery_vectors).
    hubness_k > 0: rank by CSLS, each stamp's hubness from its k nearest label vectors of the run."""
    stamp_rows = prep.rows("train", source="tuxpaint")
    stamp_rows = np.concatenate([stamp_rows, prep.rows("valid", source="tuxpaint")])
    if not len(stamp_rows):
        return []
    items = {item.path: item for item in load_tuxpaint_stamps()}
    position = {int(r): j for j, r in enumerate(stamp_rows)}
    truth, english, french = [], [], []
    for r in prep.rows("valid", source="tuxpaint"):  # never trained on
        item = items.get(prep.data.images[prep.item[r]])
        if item is not None and item.label_fr:
            truth.append(position[int(r)])
            english.append(item.label)
            french.append(item.label_fr)
    gallery = embed(prep.pooled[stamp_rows], None if prep.logits is None else prep.logits[stamp_rows])  # (n, dim)
    log.info("captions -> images: %d queries over %d stamps", len(truth), len(stamp_rows))
    penalty = neighbour_mean(gallery, reference_vectors(prep.labels, prep.class_vectors), hubness_k) \
        if hubness_k > 0 else None
    rows = search_captions(prep.lookup, gallery, np.array(truth, dtype=np.int64), english, french, translate, ks,
                           penalty)
    return [dict(r, gallery=int(len(stamp_rows)), hubness_k=hubness_k) for r in rows]


def caption_markdown(rows: list[dict], ks) -> str:
    if not rows:
        return "Captions -> images: no Tux Paint stamps in this run's data."
    ranking = f"CSLS k={rows[0]['hubness_k']}" if rows[0].get("hubness_k") else "cosine"
    lines = [f"Captions -> images (Tux Paint stamps never trained on, searched among all {rows[0]['gallery']} "
             f"stamps, ranked by {ranking}; hit@k of the captioned stamp):", "",
             "| query | queries | no vector | " + " | ".join(f"hit@{k}" for k in ks) + " |",
             "|:--|--:|--:|" + "--:|" * len(ks)]
    for r in rows:
        cells = [r["query"], str(r["queries"]), str(r["no vector"])] + [f"{100 * r[f'hit@{k}']:.1f}%" for k in ks]
        lines.append("| " + " | ".join(cells) + " |")
    examples = next((r["examples"] for r in rows if r.get("examples")), None)
    if examples:
        lines += ["", "Translations, e.g.: " + "; ".join(f"{fr} -> {en}" for fr, en in examples)]
    return "\n".join(lines)
