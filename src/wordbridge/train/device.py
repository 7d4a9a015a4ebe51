"""Where a run computes: seeding, torch's CPU thread count, and moving (nested) batches to the device."""

import dataclasses
import logging
import random
from typing import Any

import numpy as np
import torch

log = logging.getLogger(__name__)


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def configure_threads(threads: int | None) -> None:
    if threads:
        torch.set_num_threads(threads)
        log.debug("torch threads: %d", threads)


def to_device(batch: Any, device: torch.device) -> Any:
    """Move tensors inside tensors / (named)tuples / lists / dicts / dataclasses / objects with .to() to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return type(batch)(*(to_device(x, device) for x in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(x, device) for x in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if dataclasses.is_dataclass(batch) and not isinstance(batch, type):
        changes = {f.name: to_device(getattr(batch, f.name), device) for f in dataclasses.fields(batch) if f.init}
        return dataclasses.replace(batch, **changes)
    if hasattr(batch, "to") and callable(batch.to):
        return batch.to(device)
    return batch
