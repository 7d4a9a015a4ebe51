import numpy as np
import pytest

from wordbridge.errors import DataError
from wordbridge.text.vocab import BOS, EOS, PAD, UNK, Vocab


def test_specials_have_the_lessons_ids():
    v = Vocab.build([["a"]])
    assert (BOS, PAD, EOS, UNK) == (0, 1, 2, 3)
    assert v.itos[:4] == ["_bos_", "_pad_", "_eos_", "_unk_"]


def test_build_orders_by_frequency_and_respects_max_size_and_min_freq():
    toks = [["b", "a", "b"], ["c", "b", "a"], ["d"]]
    v = Vocab.build(toks)
    assert v.itos[4:] == ["b", "a", "c", "d"]
    assert Vocab.build(toks, max_size=2).itos[4:] == ["b", "a"]
    assert Vocab.build(toks, min_freq=2).itos[4:] == ["b", "a"]


def test_encode_appends_eos_and_maps_unknown_to_unk():
    v = Vocab.build([["hello", "world"]])
    ids = v.encode(["hello", "there"])
    assert ids.dtype == np.int32
    assert ids.tolist() == [v.lookup("hello"), UNK, EOS]
    assert v.encode(["hello"], add_eos=False).tolist() == [v.lookup("hello")]


def test_decode_stops_at_eos_and_drops_padding():
    v = Vocab.build([["x", "y"]])
    ids = [BOS, v.lookup("x"), PAD, UNK, v.lookup("y"), EOS, v.lookup("x")]
    assert v.decode(ids) == ["x", "_unk_", "y"]


def test_json_round_trip(tmp_path):
    v = Vocab.build([["é", "qu'", "?"], ["é"]])
    v.save(tmp_path / "vocab.json")
    assert (tmp_path / "vocab.json").read_text(encoding="utf-8").startswith("{")
    w = Vocab.load(tmp_path / "vocab.json")
    assert w == v and w.lookup("é") == v.lookup("é")


def test_load_rejects_foreign_files(tmp_path):
    (tmp_path / "bad.json").write_text('{"words": []}')
    with pytest.raises(DataError, match="not a wordbridge vocabulary"):
        Vocab.load(tmp_path / "bad.json")
    with pytest.raises(DataError, match="does not exist"):
        Vocab.load(tmp_path / "missing.json")
