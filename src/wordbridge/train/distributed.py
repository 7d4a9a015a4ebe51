"""Multi-process / multi-machine training with torch.distributed (launched by torchrun).

`torchrun --nproc_per_node=N [--nnodes=M --rdzv-endpoint=HOST:PORT] -m wordbridge train CONFIG` sets RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; `init_from_env()` joins the process group (gloo on CPU, NCCL on
CUDA) and returns a DistInfo. A plain `python -m wordbridge ...` gets DistInfo(rank=0, world_size=1): every helper
below is then a no-op, so single-process code needs no branches.
"""

import dataclasses
import datetime
import logging
import os
from typing import Any, Callable, Iterator

import torch
import torch.distributed as dist

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def env_world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def init_from_env(device: str = "auto", timeout_minutes: float = 30.0) -> DistInfo:
    """Join the process group described by torchrun's env vars (idempotent); single process when absent."""
    if dist.is_available() and dist.is_initialized():
        return current()
    world = env_world_size()
    if world <= 1:
        return DistInfo()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = device != "cpu" and torch.cuda.is_available()
    backend = "nccl" if use_cuda else "gloo"
    if use_cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend, timeout=datetime.timedelta(minutes=timeout_minutes))
    info = current()
    log.info("joined process group: rank %d/%d (local %d), backend %s", info.rank, world, local_rank, backend)
    return info


def current() -> DistInfo:
    """DistInfo of this process (single process when no group is initialised)."""
    if not (dist.is_available() and dist.is_initialized()):
        return DistInfo()
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def cleanup(wait: bool = False) -> None:
    """Tear the process group down; `wait` first meets every rank at a barrier (after a run that ended normally), so
    no rank destroys its group while another still talks to it (gloo then aborted a rank at exit now and then)."""
    if dist.is_available() and dist.is_initialized():
        if wait:
            dist.barrier()
        dist.destroy_process_group()


def device_for(info: DistInfo, preference: str = "auto") -> torch.device:
    """cuda:LOCAL_RANK when CUDA is wanted and present, else cpu."""
    if preference == "cpu" or not torch.cuda.is_available():
        if preference == "cuda":
            log.warning("train.device=cuda but CUDA is not available: using the CPU")
        return torch.device("cpu")
    return torch.device("cuda", info.local_rank if info.enabled else torch.cuda.current_device())


def wrap_model(model: torch.nn.Module, info: DistInfo, device: torch.device, find_unused: bool = False):
    """DistributedDataParallel around `model` when distributed, else the model itself."""
    if not info.enabled:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=find_unused)


def set_epoch(data: Any, epoch: int) -> None:
    """Call set_epoch(epoch) on a loader and on its sampler / batch_sampler, where they have one (shuffle order)."""
    for obj in (data, getattr(data, "sampler", None), getattr(data, "batch_sampler", None)):
        if obj is not None and hasattr(obj, "set_epoch"):
            obj.set_epoch(epoch)


def any_flag(flag: bool, info: DistInfo) -> bool:
    """True on every rank when `flag` is true on any rank (one tiny all_reduce; no-op when single process)."""
    if not info.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=_comm_device())
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def broadcast_object(obj: Any, info: DistInfo, src: int = 0) -> Any:
    """`obj` of rank `src` on every rank (picklable objects; no-op when single process)."""
    if not info.enabled:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=src, device=_comm_device())
    return box[0]


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def _comm_device() -> torch.device:
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


class ShardedBatchSampler:
    """Shuffled global batches of `batch_size` items split contiguously across ranks.

    Rank r gets items [r*B/W, (r+1)*B/W) of each global batch, so W processes see exactly the data one process would
    with batch B (used by the DDP test and by tasks without a sortish sampler). Shuffle seed = seed + epoch; the last
    incomplete global batch is dropped when distributed so every rank takes the same number of steps.
    """

    def __init__(self, n: int, batch_size: int, shuffle: bool = True, seed: int = 42,
                 num_replicas: int = 1, rank: int = 0) -> None:
        if batch_size % num_replicas:
            raise ValueError(f"global batch {batch_size} is not divisible by {num_replicas} processes")
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.num_replicas, self.rank, self.epoch = num_replicas, rank, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        if self.num_replicas > 1:
            return self.n // self.batch_size
        return (self.n + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[list[int]]:
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed + self.epoch)
            order = torch.randperm(self.n, generator=gen).tolist()
        else:
            order = list(range(self.n))
        local = self.batch_size // self.num_replicas
        for b in range(len(self)):
            batch = order[b * self.batch_size:(b + 1) * self.batch_size]
            yield batch[self.rank * local:(self.rank + 1) * local] if self.num_replicas > 1 else batch


def sync_stop_and_time(stop: bool, elapsed: float, info: DistInfo) -> tuple[bool, float]:
    """(any rank wants to stop, max elapsed seconds over ranks): one all_reduce; identity when single process."""
    if not info.enabled:
        return stop, elapsed
    t = torch.tensor([1.0 if stop else 0.0, elapsed], dtype=torch.float64, device=_comm_device())
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t[0].item() > 0), float(t[1].item())


def main_first(fn: Callable[[], Any], info: DistInfo) -> Any:
    """Run `fn` on rank 0 only (e.g. create the run folder, write config.yaml) and give its result to every rank.

    Its exception, if any, is raised on every rank, so all processes stop with the same one-line error.
    """
    if not info.enabled:
        return fn()
    outcome: tuple[str, Any] = ("ok", None)
    if info.is_main:
        try:
            outcome = ("ok", fn())
        except Exception as exc:  # re-raised below on every rank
            outcome = ("error", exc)
    outcome = broadcast_object(outcome, info)
    if outcome[0] == "error":
        raise outcome[1]
    return outcome[1]
