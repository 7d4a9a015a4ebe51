"""The choices of building an image index, shared by the builder (ann.py, sharding.py) and `wordbridge devise index
--help`: faiss-free and torch-free so that the help stays fast."""

KINDS = ("flat", "ivf", "ivfpq")  # exact, inverted lists, inverted lists + product quantisation
FLAT_MAX = 50_000  # galleries up to this many images get the exact (flat) index
CHUNK_SIZE = 1024  # images per chunk written to disk: the unit of resuming and of the split across processes
