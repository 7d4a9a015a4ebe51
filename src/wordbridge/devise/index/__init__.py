"""The searchable gallery: the faiss index chosen by size, sharded resumable embedding, image captions."""
