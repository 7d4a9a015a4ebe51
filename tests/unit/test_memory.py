import sys

import pytest

from wordbridge.train.memory import limit_heap_growth


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc mallopt exists on Linux only")
def test_sets_the_threshold_on_glibc():
    assert limit_heap_growth() is True


def test_environment_setting_wins(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert limit_heap_growth() is False
