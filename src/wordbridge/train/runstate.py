"""What a training run writes into its run folder: latest.pt / best.pt (tagged with the run's kind, model args and
config), history.json and loss.png, and with train.keep_checkpoints = N the weights of the last N latest.pt saves
as checkpoints/step-<step>.pt (what `wordbridge average` reads). Rank 0 only."""

import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from wordbridge.atomic import write_json
from wordbridge.errors import CheckpointError, DiskFullError
from wordbridge.train.checkpoint import load_checkpoint, save_checkpoint
from wordbridge.train.plots import plot_losses

log = logging.getLogger(__name__)

SNAPSHOT_DIR = "checkpoints"  # RUN/checkpoints/step-00001234.pt: weights only, the last keep_checkpoints saves


def snapshot_step(path: Path) -> int:
    """The step in a snapshot's file name (step-00001234.pt -> 1234)."""
    return int(path.stem.split("-", 1)[1])


def list_snapshots(run_dir: str | Path) -> list[Path]:
    """RUN/checkpoints/step-*.pt, oldest step first."""
    folder = Path(run_dir) / SNAPSHOT_DIR
    found = [p for p in folder.glob("step-*.pt") if p.stem.split("-", 1)[1].isdigit()] if folder.is_dir() else []
    return sorted(found, key=snapshot_step)


class RunFiles:
    """Paths of one run folder and the writers of its checkpoints and history."""

    def __init__(self, run_dir: str | Path, metric: str = "loss", kind: str = "model",
                 model_args: dict | None = None, config: dict | None = None, keep: int = 0) -> None:
        self.dir = Path(run_dir)
        self.keep = keep  # snapshots of the weights kept in checkpoints/ (0: none)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.metric, self.kind = metric, kind
        self.model_args, self.config = dict(model_args or {}), dict(config or {})
        self.saved_step = -1  # step of the last latest.pt written or resumed from

    @property
    def latest(self) -> Path:
        return self.dir / "latest.pt"

    @property
    def best(self) -> Path:
        return self.dir / "best.pt"

    @property
    def history_path(self) -> Path:
        return self.dir / "history.json"

    def save(self, name: str, history: dict, **state: Any) -> None:
        """save_checkpoint(dir/name, kind, model_args, config, **state); latest.pt also rewrites the history.

        A full disk (DiskFullError) stops training: the small history.json is still tried (it records how far the
        run got), then the error goes up as one line; the previous checkpoint stays as it was."""
        try:
            save_checkpoint(self.dir / name, kind=self.kind, model_args=self.model_args, config=self.config, **state)
        except DiskFullError:
            with contextlib.suppress(DiskFullError):
                write_json(self.history_path, history)
            raise
        if name == "latest.pt":
            self.write_history(history)
            self.saved_step = state.get("step", -1)
            if self.keep:
                self.snapshot(state["model"], state.get("step", 0), state.get("epoch", 0), state.get("extra"))

    def snapshot(self, model: Any, step: int, epoch: int, extra: dict | None = None) -> None:
        """checkpoints/step-<step>.pt (weights, model args, config, latest.pt's extra such as the schedule position
        time_pos: no optimiser), then drop all but the last keep."""
        save_checkpoint(self.dir / SNAPSHOT_DIR / f"step-{step:08d}.pt", kind=self.kind, model=model,
                        model_args=self.model_args, config=self.config, step=step, epoch=epoch, rng=False,
                        extra=extra)
        for old in list_snapshots(self.dir)[: -self.keep]:
            old.unlink(missing_ok=True)

    def read_latest(self) -> dict:
        """latest.pt of this run's kind (CheckpointError when missing or foreign), for resume: first removes what a
        killed run left half-written."""
        self.remove_stale_temp()
        if not self.latest.is_file():
            raise CheckpointError(f"Nothing to resume: {self.latest} does not exist.")
        return load_checkpoint(self.latest, self.kind, map_location="cpu")

    def remove_stale_temp(self) -> list[Path]:
        """Delete the temp files of atomic writes that a killed process (kill -9, power cut) left unrenamed."""
        names = (self.latest.name, self.best.name, self.history_path.name, "loss.png")
        stale = [p for name in names for p in self.dir.glob(f".{name}.*.tmp") if p.is_file()]
        stale += [p for p in (self.dir / SNAPSHOT_DIR).glob(".step-*.tmp") if p.is_file()]
        for path in stale:
            path.unlink(missing_ok=True)
        if stale:
            log.info("removed %d unfinished temp file(s) of a killed run from %s", len(stale), self.dir)
        return stale

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
