"""Attention heatmap: output tokens (rows) against source tokens (columns), labelled, saved atomically as PNG."""

from pathlib import Path
from typing import Sequence

import numpy as np

from wordbridge.atomic import atomic_path


def plot_attention(src_tokens: Sequence[str], out_tokens: Sequence[str], weights, path: str | Path,
                   title: str | None = None) -> Path:
    """weights: (len(out_tokens), len(src_tokens)) -> PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    w = np.asarray(weights, dtype=np.float32).reshape(len(out_tokens), len(src_tokens))
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(src_tokens) + 2), max(3, 0.4 * len(out_tokens) + 2)))
    im = ax.imshow(w, cmap="viridis", aspect="auto", vmin=0.0, vmax=max(float(w.max()) if w.size else 1.0, 1e-6))
    ax.set_xticks(range(len(src_tokens)), list(src_tokens), rotation=60, ha="right")
    ax.set_yticks(range(len(out_tokens)), list(out_tokens))
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    if title:
        ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return path
