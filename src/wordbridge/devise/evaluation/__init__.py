"""`devise evaluate`: hit@k per method and test set, the photo check, captions -> images."""
