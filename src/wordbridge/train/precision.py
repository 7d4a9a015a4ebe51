"""Mixed precision: which autocast dtype a run uses and whether it needs a GradScaler."""

import contextlib
import dataclasses

import torch

from wordbridge.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class Precision:
    """Autocast dtype (None = fp32) and whether a GradScaler is needed (fp16 only)."""

    dtype: torch.dtype | None
    device_type: str

    @property
    def name(self) -> str:
        return {None: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    @property
    def needs_scaler(self) -> bool:
        return self.dtype is torch.float16

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=self.dtype)

    def scaler(self):
        return torch.amp.GradScaler(self.device_type, enabled=self.needs_scaler)


def resolve_precision(choice: str, device: torch.device) -> Precision:
    """auto -> fp16 autocast on CUDA (bf16 where supported is left to an explicit choice), fp32 on CPU."""
    if choice == "auto":
        choice = "fp16" if device.type == "cuda" else "fp32"
    if choice == "fp16" and device.type != "cuda":
        raise ConfigError("Invalid train.precision 'fp16' on the CPU. Valid there: auto, bf16, fp32.")
    dtype = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[choice]
    return Precision(dtype, device.type)
