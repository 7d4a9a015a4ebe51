import sys

import pytest

from wordbridge.train.memory import limit_heap_growth


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt exists on Linux only")
def test_sets_the_threshold_on_glibc():
    assert limit_heap_growth() is True


def test_environment_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert limit_heap_growth() is False


def test_primitive_caches_are_capped_unless_the_environment_says(monkeypatch):
    from wordbridge.train.memory import CACHE_VARIABLES, PRIMITIVE_CACHE, limit_primitive_caches

    for name in CACHE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LRU_CACHE_CAPACITY", "16")
    assert limit_primitive_caches() == {"ONEDNN_PRIMITIVE_CACHE_CAPACITY": str(PRIMITIVE_CACHE),
                                        "LRU_CACHE_CAPACITY": "16"}
