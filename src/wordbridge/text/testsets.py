"""Named test-only sets for `wordbridge evaluate RUN --testset NAME`: (french, english) pairs that no training
corpus holds (text/named_corpora.py never reads them; a test checks that none of its corpora is named like one).

    tuxpaint   Tux Paint's stamp descriptions (~800 short everyday phrases; asset `tuxpaint-stamps`)
"""

import dataclasses
from typing import Callable

from wordbridge import asset_paths
from wordbridge.errors import ConfigError, choices_hint
from wordbridge.text.tuxpaint import Pair, read_tuxpaint


@dataclasses.dataclass(frozen=True)
class TestSet:
    name: str
    description: str
    read: Callable[[], list[Pair]]  # raises AssetError (one line, naming the fetch) when the asset is missing

    __test__ = False  # not a pytest test class


TESTSETS: dict[str, TestSet] = {t.name: t for t in (
    TestSet("tuxpaint", "Tux Paint stamp descriptions: short everyday phrases (`wordbridge fetch tuxpaint-stamps`)",
            lambda: read_tuxpaint(asset_paths.path("tuxpaint-stamps"))),
)}


def read_testset(name: str) -> list[Pair]:
    """The pairs of a named test set; an unknown name raises ConfigError listing the valid ones."""
    if name not in TESTSETS:
        raise ConfigError(f"Unknown test set {choices_hint(name, TESTSETS)}")
    return TESTSETS[name].read()
