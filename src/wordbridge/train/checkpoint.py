"""Checkpoints: a dict of state_dicts + model_args + config + position + RNG states + a `kind` tag.

Written atomically and durably (temp file + fsync + rename; a full disk is one DiskFullError line), read with
`torch.load(weights_only=True)`: nothing but tensors and plain Python values is ever unpickled. Every problem a
user can cause (missing, truncated/corrupt file, a pickled module or other non-checkpoint, a checkpoint of another
kind, a model whose parameter names or shapes differ) is a one-line CheckpointError.

Layout (FORMAT 1):
    {"format": 1, "kind": str, "model": state_dict, "optimizer": state_dict | None, "scaler": state_dict | None,
     "model_args": dict, "config": dict, "step": int, "epoch": int, "batch_in_epoch": int,
     "schedule": {"step": int, "total_steps": int} | None, "rng": dict | None, "best": dict | None, "extra": dict}
"""

import pickle
import random
import zipfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch

from wordbridge.atomic import atomic_path
from wordbridge.errors import CheckpointError

FORMAT = 1
REQUIRED_KEYS = ("format", "kind", "model", "step")


def capture_rng() -> dict:
    """Python, NumPy, torch (and CUDA) RNG states as weights_only-safe values."""
    np_state = np.random.get_state()
    state = {
        "python": random.getstate(),
        "numpy": {
            "keys": torch.from_numpy(np_state[1].astype(np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng(state: Mapping[str, Any]) -> None:
    """Inverse of capture_rng."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    keys = np_state["keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, np_state["pos"], np_state["has_gauss"], np_state["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(
    path: str | Path,
    *,
    kind: str,
    model: torch.nn.Module | Mapping[str, torch.Tensor],
    optimizer: torch.optim.Optimizer | None = None,
    scaler: Any = None,
    model_args: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    step: int = 0,
    epoch: int = 0,
    batch_in_epoch: int = 0,
    schedule: Mapping[str, Any] | None = None,
    rng: bool = True,
    best: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write one checkpoint atomically; returns its path. `model` may be a module or a state_dict."""
    state_dict = model.state_dict() if isinstance(model, torch.nn.Module) else dict(model)
    payload = {
        "format": FORMAT,
        "kind": kind,
        "model": state_dict,
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
        "model_args": dict(model_args or {}),
        "config": dict(config or {}),
        "step": int(step),
        "epoch": int(epoch),
        "batch_in_epoch": int(batch_in_epoch),
        "schedule": dict(schedule) if schedule is not None else None,
        "rng": capture_rng() if rng else None,
        "best": dict(best) if best is not None else None,
        "extra": dict(extra or {}),
    }
    path = Path(path)
    # through a Python file: a full disk then reaches atomic_path as OSError(ENOSPC) (torch.save to a path hides it)
    with atomic_path(path, size_hint=_tensor_bytes(payload)) as tmp, open(tmp, "wb") as f:
        torch.save(payload, f)
    return path


def _tensor_bytes(obj: Any) -> int:
    """Bytes of every tensor in a nested payload: about what its file needs on disk."""
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, Mapping):
        return sum(_tensor_bytes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_tensor_bytes(v) for v in obj)
    return 0


def load_checkpoint(path: str | Path, kind: str | None = None, map_location: Any = "cpu") -> dict:
    """Read and validate a checkpoint (weights_only=True). `kind` given: refuse checkpoints of another kind."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Checkpoint {path} does not exist.")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "weights only" in str(exc).lower() or "weights_only" in str(exc):
            raise CheckpointError(
                f"{path} is not a wordbridge checkpoint: it holds pickled Python objects, not only tensors."
            ) from None
        raise CheckpointError(f"Checkpoint {path} is corrupt or not a PyTorch file.") from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile, KeyError, IndexError):
        raise CheckpointError(f"Checkpoint {path} is corrupt or not a PyTorch file.") from None
    if not isinstance(payload, dict) or any(key not in payload for key in REQUIRED_KEYS):
        raise CheckpointError(f"{path} is not a wordbridge checkpoint (expected keys: {', '.join(REQUIRED_KEYS)}).")
    if payload["format"] != FORMAT:
        raise CheckpointError(f"Checkpoint {path} has format {payload['format']!r}; this version reads {FORMAT}.")
    if kind is not None and payload["kind"] != kind:
        raise CheckpointError(f"Checkpoint {path} is a '{payload['kind']}' checkpoint, expected '{kind}'.")
    return payload


def check_compatible(model: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], path: str | Path = "") -> None:
    """One-line CheckpointError when parameter names or shapes differ between `model` and `state_dict`."""
    own = model.state_dict()
    where = f"Checkpoint {path}" if path else "Checkpoint"
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}")
        if unexpected:
            parts.append(f"unexpected {', '.join(unexpected[:3])}{' ...' if len(unexpected) > 3 else ''}")
        raise CheckpointError(f"{where} is from a different model: {'; '.join(parts)}.")
    for name, tensor in own.items():
        theirs = state_dict[name]
        if not isinstance(theirs, torch.Tensor) or tuple(theirs.shape) != tuple(tensor.shape):
            shape = tuple(theirs.shape) if isinstance(theirs, torch.Tensor) else type(theirs).__name__
            raise CheckpointError(
                f"{where} is from a model of another shape: {name} is {shape} there, {tuple(tensor.shape)} here."
            )


def load_model_state(model: torch.nn.Module, state_dict: Mapping[str, torch.Tensor], path: str | Path = "") -> None:
    """check_compatible, then load_state_dict(strict=True)."""
    check_compatible(model, state_dict, path)
    model.load_state_dict(state_dict)


def load_training_state(ckpt: Mapping[str, Any], path: str | Path, model: torch.nn.Module,
                        optimizer: torch.optim.Optimizer, scaler: Any = None) -> None:
    """Resume: weights (strict), then the optimiser and the GradScaler (when enabled) from `ckpt`."""
    load_model_state(model, ckpt["model"], path)
    try:
        if ckpt.get("optimizer"):
            optimizer.load_state_dict(ckpt["optimizer"])
        if ckpt.get("scaler") and scaler is not None and scaler.is_enabled():
            scaler.load_state_dict(ckpt["scaler"])
    except (ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"Checkpoint {path} has an optimiser of another shape: {exc}") from None
