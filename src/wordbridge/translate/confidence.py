"""Translation confidence: a reference-free quality score per sentence, the cosine between the multilingual
encoder's embeddings of the French source and of its English translation (wordbridge.encoder; both with e5's
"query: " prefix, the symmetric-match convention).

Raw cosines live in a narrow cone (unrelated sentences still score ~0.75-0.85), so the score is read against
LOW_CONFIDENCE, below which the page shows a "low confidence" badge; docs/devise-e5.md gives its Spearman
correlation with sentence-level chrF. Costs one encoder call per side (~30-60 ms a sentence on one core): callers
ask for it (`translate --json`, `evaluate --json`, the API's `confidence: true`); nothing computes it unasked.
An empty source or translation scores 0.0.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from wordbridge.encoder import Encoder, embed_batched, get_encoder
from wordbridge.results import Translation
from wordbridge.translate.metrics import sentence_chrf

LOW_CONFIDENCE = 0.85  # below: the page's "low confidence" badge (docs/devise-e5.md: how it was chosen)


def confidence(sources: Sequence[str], translations: Sequence[str], encoder: Encoder | None = None,
               batch_size: int = 32) -> np.ndarray:
    """(n,) float32 cosine per (source, translation) pair, batched; AssetError (one line) without the encoder."""
    if len(sources) != len(translations):
        raise ValueError(f"{len(sources)} sources for {len(translations)} translations")
    encoder = get_encoder() if encoder is None else encoder
    keep = [i for i, (s, t) in enumerate(zip(sources, translations)) if s.strip() and t.strip()]
    out = np.zeros(len(sources), np.float32)
    if keep:
        a = embed_batched(encoder, [sources[i] for i in keep], "query", batch_size)  # (m, dim) unit rows
        b = embed_batched(encoder, [translations[i] for i in keep], "query", batch_size)
        out[keep] = np.einsum("nd,nd->n", a, b)
    return out


def with_confidence(sources: Sequence[str], results: Sequence[Translation],
                    encoder: Encoder | None = None) -> list[Translation]:
    """The translations with their `confidence` field filled in (rounded to 4 decimals)."""
    scores = confidence(sources, [r.text for r in results], encoder)
    return [dataclasses.replace(r, confidence=round(float(c), 4)) for r, c in zip(results, scores)]


def is_low(score: float | None) -> bool:
    return score is not None and score < LOW_CONFIDENCE


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1, ties sharing their average rank."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), np.float64)
    ranks[order] = np.arange(len(x))
    _, inverse = np.unique(x, return_inverse=True)
    return (np.bincount(inverse, ranks) / np.bincount(inverse))[inverse]


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman's rank correlation (nan with fewer than 2 pairs or a constant side)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(_ranks(a), _ranks(b))[0, 1])


def confidence_report(sources: Sequence[str], hypotheses: Sequence[str], references: Sequence[str],
                      lowercase: bool = False, encoder: Encoder | None = None) -> dict:
    """{spearman_chrf, spearman_chrf_nonempty, mean, low (share below LOW_CONFIDENCE), threshold, per_sentence}: the
    confidence of each translation and how well it ranks the sentences like their sentence-level chrF against the
    references (`_nonempty`: over non-empty translations only, since an empty one scores 0 on both)."""
    scores = confidence(sources, hypotheses, encoder)
    chrf = sentence_chrf(hypotheses, references, lowercase)
    said = [i for i, h in enumerate(hypotheses) if h.strip()]
    return {"spearman_chrf": round(spearman(scores, chrf), 4),
            "spearman_chrf_nonempty": round(spearman(scores[said], [chrf[i] for i in said]), 4), "mean": round(float(scores.mean()), 4) if len(scores)
            else float("nan"), "low": round(float((scores < LOW_CONFIDENCE).mean()), 4) if len(scores) else 0.0,
            "threshold": LOW_CONFIDENCE, "per_sentence": [round(float(c), 4) for c in scores]}
