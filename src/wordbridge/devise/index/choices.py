"""The choices of building an image index, shared by the builder (ann.py, sharding.py) and `wordbridge devise index
--help`: faiss-free and torch-free so that the help stays fast."""

KINDS = ("flat", "ivf", "ivfpq")  # exact, inverted lists, inverted lists + product quantisation
FLAT_MAX = 50_000  # galleries up to this many images get the exact (flat) index
# CHUNK_SIZE: images per chunk written to disk, the unit of resuming and of the split across processes. 128 images a
# chunk: a kill loses at most one chunk per process. At the slowest end-to-end rate measured here (2.9 images/s,
# `devise index` on a contended 2-core machine) that is ~44 s of work, at a clean core's 29-48 images/s 3-4 s; 256
# would risk ~90 s on that slow machine, and much smaller chunks pay the per-chunk start-up (a DataLoader and its
# workers) too often. A chunk's file is ~150 KB (128 x 300 float32 + names).
CHUNK_SIZE = 128
