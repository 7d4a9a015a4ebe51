"""Keep the training process's memory from growing without bound on CPU: glibc's heap and the primitive caches.

Training allocates tensors of a different size at every step (sortish batches of varying length). glibc raises its
mmap threshold each time a large block is freed (up to 32 MiB), so later blocks of that size come from the heap,
which fragments and is never returned: the default model's training process grew from ~2.5 GB to ~5 GB RSS over a
few minutes. Fixing the threshold at 4 MiB (M_MMAP_THRESHOLD, which also turns the dynamic raise off) keeps the
per-step intermediates in the heap (as fast as before) and sends the large blocks (logits, gradients of the
embeddings) to mmap, which gives them back to the system when freed. Measured on the default model, 3 minutes
(`/usr/bin/time -v wordbridge train configs/default.yaml --max-minutes 4`): peak RSS 4.87 GB -> 3.40 GB with the same
tokens/s; a 128 KiB threshold gave 2.88 GB but ~20% fewer tokens/s, 16 MiB 4.17 GB.

A MALLOC_MMAP_THRESHOLD_ set in the environment wins (glibc reads it at start-up; we then leave it alone).

The second source of growth was oneDNN: every distinct matmul shape (bf16 autocast on CPU runs through oneDNN) gets a
JIT-compiled primitive, kept in oneDNN's cache and in PyTorch's (ideep) cache, up to 1,024 each by default; sortish
batches bring new shapes all the time, so the caches filled the heap (~500 MB in use between steps after 40 steps
of the default model, growing on). 20 default-model steps on batches of random shapes, 1 thread (process CPU
seconds, RSS after step 20): capacity 1,024: 14.1 s, 930 MiB and rising; 256: 14.1 s, 915 MiB; 64: 13.8 s, 820 MiB,
flat from step 10. `limit_primitive_caches` caps both at PRIMITIVE_CACHE through their environment
variables (ONEDNN_PRIMITIVE_CACHE_CAPACITY, LRU_CACHE_CAPACITY), which they read at their first use: call it before
the first matmul; values already in the environment win.
"""

import ctypes
import ctypes.util
import logging
import os
import sys

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # mallopt parameter numbers from glibc's malloc.h
DEFAULT_THRESHOLD = 4 * 1024 * 1024
PRIMITIVE_CACHE = 64  # primitives each cache keeps: as fast as 1,024 on the default model, and RSS stays flat
CACHE_VARIABLES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")


def keep_memory_flat() -> None:
    """Both measures for a CPU training process: the fixed mmap threshold and the capped primitive caches."""
    limit_heap_growth()
    limit_primitive_caches()


def limit_primitive_caches(capacity: int = PRIMITIVE_CACHE) -> dict[str, str]:
    """Cap oneDNN's and ideep's primitive caches (unless the environment sets them); returns the values in force."""
    return {name: os.environ.setdefault(name, str(int(capacity))) for name in CACHE_VARIABLES}


def limit_heap_growth(threshold: int = DEFAULT_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at `threshold` bytes; True if it was set (glibc Linux only, else a no-op)."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another libc without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    done = bool(mallopt(M_MMAP_THRESHOLD, int(threshold)))
    log.debug("malloc mmap threshold %d bytes: %s", threshold, "set" if done else "refused")
    return done
