"""Training figures (matplotlib, Agg backend), written atomically: loss curves and the LR finder sweep."""

import math
from pathlib import Path
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from wordbridge.atomic import atomic_path  # noqa: E402


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_losses(history: dict, path: str | Path, metric: str = "loss") -> Path:
    """Train loss (every log point) and validation `metric` (every validation) against optimiser steps."""
    fig, ax = plt.subplots(figsize=(7, 4))
    train = [r for r in history.get("train", []) if math.isfinite(r.get("loss", math.nan))]
    if train:
        ax.plot([r["step"] for r in train], [r["loss"] for r in train], label="train loss", alpha=0.8)
    valid = [r for r in history.get("valid", []) if metric in r]
    if valid:
        ax.plot([r["step"] for r in valid], [r[metric] for r in valid], "o-", label=f"valid {metric}")
    ax.set_xlabel("step")
    ax.set_ylabel("loss" if metric == "loss" else f"loss / {metric}")
    ax.grid(alpha=0.3)
    if train or valid:
        ax.legend()
    return _save(fig, path)


def plot_lr_find(
    lrs: Sequence[float],
    losses: Sequence[float],
    path: str | Path,
    suggestion: float | None = None,
    min_lr: float | None = None,
) -> Path:
    """Smoothed loss against learning rate on a log x axis, with the suggestion marked."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(lrs, losses)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("smoothed training loss")
    if suggestion is not None:
        ax.axvline(suggestion, color="tab:red", linestyle="--", label=f"suggestion {suggestion:.2e}")
    if min_lr is not None:
        ax.axvline(min_lr, color="tab:gray", linestyle=":", label=f"min loss {min_lr:.2e}")
    if suggestion is not None or min_lr is not None:
        ax.legend()
    ax.grid(alpha=0.3, which="both")
    return _save(fig, path)
