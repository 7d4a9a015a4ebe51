"""Checkpoint averaging (OpenNMT-py's and Marian's average_models): the element-wise mean of a run's last N saved
weights, written as a new run folder that `evaluate`, `translate`, `export` and `serve` take like any other.

The weights come from RUN/checkpoints/step-*.pt, which training keeps with train.keep_checkpoints = N (the weights
of the last N latest.pt saves, train/runstate.py). The new folder (default RUN-avgN beside RUN) holds the run's
config, vocabularies and tokenizer files, best.pt (the mean; extra: the steps averaged and the source run) and
average.json; it is written atomically. Checkpoints of different shapes or too few of them: one-line errors.
"""

import shutil
from pathlib import Path

import torch

from wordbridge.atomic import atomic_dir, write_json
from wordbridge.errors import CheckpointError, ConfigError
from wordbridge.train.checkpoint import load_checkpoint, save_checkpoint
from wordbridge.train.runstate import SNAPSHOT_DIR, list_snapshots
from wordbridge.translate.model import KIND

RUN_FILES = ("config.yaml", "vocab.src.json", "vocab.tgt.json", "tokenizer.json", "spm.src.model", "spm.tgt.model",
             "stats.json")


def copy_run_files(run_dir: Path, dest: Path) -> None:
    """The files besides the weights that make `dest` a run folder (config, vocabularies, tokenizer), where present."""
    for name in RUN_FILES:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, dest / name)


def average_state_dicts(ckpts: list[dict], names: list[str]) -> dict[str, torch.Tensor]:
    """Element-wise mean of the checkpoints' "model" state dicts (float tensors, summed in float64); integer
    tensors (counters) are taken from the last. CheckpointError when names, shapes or model_args differ."""
    first = ckpts[0]
    for ckpt, name in zip(ckpts[1:], names[1:]):
        if ckpt.get("model_args") != first.get("model_args") or ckpt["model"].keys() != first["model"].keys():
            raise CheckpointError(f"Cannot average checkpoints of different models: {names[0]} and {name} differ "
                                  "in model settings or parameter names.")
        for key, tensor in first["model"].items():
            if tuple(ckpt["model"][key].shape) != tuple(tensor.shape):
                raise CheckpointError(f"Cannot average checkpoints of different shapes: {key} is "
                                      f"{tuple(tensor.shape)} in {names[0]}, {tuple(ckpt['model'][key].shape)} "
                                      f"in {name}.")
    mean = {}
    for key, tensor in first["model"].items():
        if not tensor.is_floating_point():
            mean[key] = ckpts[-1]["model"][key].clone()
            continue
        total = torch.zeros(tensor.shape, dtype=torch.float64)
        for ckpt in ckpts:
            total += ckpt["model"][key].to(torch.float64)
        mean[key] = (total / len(ckpts)).to(tensor.dtype)
    return mean


def default_out(run_dir: Path, last: int) -> Path:
    return run_dir.with_name(f"{run_dir.name}-avg{last}")


def average_run(run_dir: str | Path, last: int, out: str | Path | None = None, overwrite: bool = False) -> Path:
    """Write the mean of RUN's last `last` kept checkpoints as a new run folder; returns its path."""
    run_dir = Path(run_dir)
    if last < 1:
        raise ConfigError(f"Invalid --last {last}: must be >= 1.")
    if not (run_dir / "config.yaml").is_file():
        raise CheckpointError(f"{run_dir} is not a `wordbridge train` run folder (no config.yaml).")
    found = list_snapshots(run_dir)
    if len(found) < last:
        raise CheckpointError(f"{run_dir / SNAPSHOT_DIR} holds {len(found)} saved checkpoint(s), fewer than --last "
                              f"{last}; train with --set train.keep_checkpoints={last} (or more).")
    paths = found[-last:]
    ckpts = [load_checkpoint(p, KIND) for p in paths]
    names = [str(p) for p in paths]
    mean = average_state_dicts(ckpts, names)
    out = Path(out) if out is not None else default_out(run_dir, last)
    if out.resolve() == run_dir.resolve():
        raise ConfigError(f"--out {out} is the run folder itself; pick a new folder.")
    steps = [int(c["step"]) for c in ckpts]
    with atomic_dir(out, overwrite=overwrite) as tmp:
        copy_run_files(run_dir, tmp)
        save_checkpoint(tmp / "best.pt", kind=KIND, model=mean, model_args=ckpts[-1]["model_args"],
                        config=ckpts[-1].get("config") or {}, step=steps[-1], epoch=int(ckpts[-1]["epoch"]),
                        rng=False, extra={"averaged_steps": steps, "averaged_from": str(run_dir)})
        write_json(tmp / "average.json", {"run": str(run_dir), "last": last, "steps": steps})
    return out
