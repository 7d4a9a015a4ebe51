"""results.py: one torch-free home for the result types and the Translator / Searcher protocols."""

import dataclasses
import inspect
import subprocess
import sys

import pytest

from wordbridge import results
from wordbridge.devise import search
from wordbridge.translate import translator


def test_importing_results_loads_no_torch():
    code = "import sys, wordbridge.results; print(sorted(m for m in sys.modules if m.split('.')[0] == 'torch'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_app_loads_no_torch():
    code = "import sys, wordbridge.serve.app, wordbridge.serve.server; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    "value",
    [
        results.Translation("the cat", ["le", "chat"], ["the", "cat"], None),
        results.ImageHit(1, "cat/1.png", 0.9, "cat"),
        results.LabelHit("n02121808", "domestic cat", 0.8),
        results.ImageResult([], [], []),
    ],
)
def test_result_types_are_frozen(value):
    field = dataclasses.fields(value)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


def test_the_models_return_the_shared_types():
    assert translator.Translation is results.Translation
    assert (search.ImageHit, search.LabelHit, search.ImageResult) == (
        results.ImageHit, results.LabelHit, results.ImageResult)


@pytest.mark.parametrize(
    "real, protocol",
    [(translator.Translator, results.Translator), (search.Searcher, results.Searcher)],
)
def test_real_models_have_the_protocol_methods(real, protocol):
    """Every protocol method exists on the real class and accepts the protocol's parameters by name."""
    for name, member in inspect.getmembers(protocol, inspect.isfunction):
        if name.startswith("_"):
            continue
        wanted = list(inspect.signature(member).parameters)
        have = inspect.signature(getattr(real, name)).parameters
        assert all(p in have for p in wanted), f"{real.__name__}.{name} lacks some of {wanted}"


def test_fakes_follow_the_protocols(fakes, tmp_path):
    assert isinstance(fakes.FakeTranslator(), results.Translator)
    assert isinstance(fakes.FakeSearcher(fakes.make_gallery(tmp_path, copies=1, size=8)), results.Searcher)
    (t,) = fakes.FakeTranslator().translate(["le chat"])
    assert isinstance(t, results.Translation)
