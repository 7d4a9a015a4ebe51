import numpy as np

from wordbridge.text.ragged import Ragged, load_ragged, save_ragged


def test_round_trip_preserves_rows(tmp_path):
    rows = [np.array([4, 5, 2]), np.array([2]), np.array([7, 8, 9, 10, 2])]
    save_ragged(tmp_path / "train.src", rows)
    assert (tmp_path / "train.src.ids.npy").is_file() and (tmp_path / "train.src.offsets.npy").is_file()
    r = load_ragged(tmp_path / "train.src")
    assert len(r) == 3
    assert [x.tolist() for x in r] == [x.tolist() for x in rows]
    assert r[-1].dtype == np.int32
    assert r.lengths.tolist() == [3, 1, 5]
    assert np.load(tmp_path / "train.src.offsets.npy").dtype == np.int64


def test_empty(tmp_path):
    save_ragged(tmp_path / "e", [])
    r = load_ragged(tmp_path / "e")
    assert len(r) == 0 and r.lengths.tolist() == []


def test_index_out_of_range_raises():
    r = Ragged.from_rows([np.array([1])])
    try:
        r[1]
    except IndexError:
        return
    raise AssertionError("expected IndexError")
