"""What a training run writes into its run folder besides checkpoints: history.json and loss.png."""

import json
import logging
from pathlib import Path

from wordbridge.atomic import write_json
from wordbridge.train.plots import plot_losses

log = logging.getLogger(__name__)


class RunFiles:
    """Paths of one run folder and the writers of its history (rank 0 only)."""

    def __init__(self, run_dir: str | Path, metric: str = "loss") -> None:
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.metric = metric

    @property
    def latest(self) -> Path:
        return self.dir / "latest.pt"

    @property
    def best(self) -> Path:
        return self.dir / "best.pt"

    @property
    def history_path(self) -> Path:
        return self.dir / "history.json"

    def write_history(self, history: dict) -> None:
        """history.json and loss.png (train loss + valid metric), both rewritten atomically."""
        write_json(self.history_path, history)
        try:
            plot_losses(history, self.dir / "loss.png", "loss" if self._has("loss", history) else self.metric)
        except (ValueError, RuntimeError) as exc:  # a plot must never stop training
            log.warning("could not draw loss.png: %s", exc)

    @staticmethod
    def _has(key: str, history: dict) -> bool:
        return any(key in r for r in history.get("valid", []))

    def load_history(self, up_to_step: int) -> dict:
        """The saved history without records after `up_to_step` (those belong to a run that was not saved)."""
        try:
            raw = json.loads(self.history_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"train": [], "valid": []}
        return {key: [r for r in raw.get(key, []) if r.get("step", 0) <= up_to_step] for key in ("train", "valid")}
