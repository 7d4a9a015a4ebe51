"""Sequence-level distillation (translate/distill.py, `wordbridge distill`) on a tiny corpus: the new folder's
training targets are the teacher's outputs, the rest is the prepared folder's; a killed pass resumes where it
stopped; another teacher vocabulary or an interrupted pass with other settings is refused in one line."""

import json

import numpy as np
import pytest

from wordbridge.cli import main
from wordbridge.errors import DataError
from wordbridge.text.prepared import PreparedData
from wordbridge.text.vocab import EOS
from wordbridge.translate import distill as D
from wordbridge.translate.translator import Translator

FR = ["le chat est noir .", "le chien est blanc .", "la maison est grande .", "je mange une pomme .",
      "le ciel est bleu .", "elle lit un livre .", "nous aimons la musique ."]
EN = ["the cat is black .", "the dog is white .", "the house is big .", "i eat an apple .", "the sky is blue .",
      "she reads a book .", "we love music ."]
PAIRS = list(zip(FR, EN))
TINY = {"emb_size_src": 8, "emb_size_tgt": 8, "hidden": 8, "layers": 1}


@pytest.fixture
def corpus(tmp_path, tiny_run):
    """(prepared folder, teacher run): the teacher has the prepared folder's vocabularies and random weights."""
    prepared = tiny_run(tmp_path / "prep", PAIRS, splits={"train": PAIRS, "valid": PAIRS[:2], "test": PAIRS[2:4]})
    (prepared.folder / "stats.json").write_text("{}", encoding="utf-8")
    teacher = tiny_run(tmp_path / "teacher", PAIRS, model=TINY, seed=3)
    return prepared.folder, teacher.folder


def _teacher_rows(teacher, prepared, beam):
    translator = Translator.load(teacher, device="cpu", engine="torch", int8=None)
    src, _ = PreparedData.load(prepared).split("train")
    return [list(h.tokens) for h in translator.engine.decode(list(src), beam=beam)]


def test_train_targets_are_the_teachers_and_the_rest_is_unchanged(corpus, tmp_path, capsys):
    prepared, teacher = corpus
    out = tmp_path / "distilled"
    config = tmp_path / "c.yaml"
    config.write_text(f"data:\n  out: {prepared}\n", encoding="utf-8")
    assert main(["distill", str(teacher), "--config", str(config), "--out", str(out), "--beam", "2",
                 "--chunk", "3"]) == 0
    assert "data.out=" in capsys.readouterr().out
    new, old = PreparedData.load(out), PreparedData.load(prepared)
    src, tgt = new.split("train")
    cap = int(old.split("train")[1].lengths.max())
    expected = [row[: cap - 1] for row in _teacher_rows(teacher, prepared, beam=2)]
    assert [list(map(int, r[:-1])) for r in tgt] == expected and all(r[-1] == EOS for r in tgt)
    assert len(new.raw("train")[1]) == len(FR)
    assert np.array_equal(src.ids, old.split("train")[0].ids)
    for split in ("valid", "test"):
        assert new.raw(split) == old.raw(split)
    report = json.loads((out / "distill.json").read_text())
    assert report["beam"] == 2 and report["sentences"] == len(FR) and report["engine"] == "torch"
    assert not D.parts_dir(out).exists()


def test_a_killed_pass_resumes_where_it_stopped(corpus, tmp_path, monkeypatch):
    prepared, teacher = corpus
    out = tmp_path / "distilled"
    decoded = []
    real_load = Translator.load

    def load(*args, **kwargs):
        translator = real_load(*args, **kwargs)
        decode = translator.engine.decode

        def counting(rows, beam=1, batch_size=64):
            if kill_after is not None and len(decoded) >= kill_after:
                raise KeyboardInterrupt  # as a Ctrl-C or a kill between chunks
            decoded.append(len(rows))
            return decode(rows, beam=beam, batch_size=batch_size)

        translator.engine.decode = counting
        return translator

    monkeypatch.setattr(D.Translator, "load", load)
    kill_after = 1
    with pytest.raises(KeyboardInterrupt):
        D.distill(teacher, prepared, out, beam=1, chunk_size=3, progress=False)
    assert decoded == [3] and not out.exists()
    assert sorted(p.name for p in D.parts_dir(out).iterdir()) == ["chunk-00000.npz", "manifest.json"]
    with pytest.raises(DataError, match="another beam"):  # resuming with other settings is refused
        D.distill(teacher, prepared, out, beam=2, chunk_size=3, progress=False)
    kill_after = None
    report = D.distill(teacher, prepared, out, beam=1, chunk_size=3, progress=False)
    assert decoded == [3, 3, 1] and report["translated_now"] == 4  # only the chunks left
    expected = _teacher_rows(teacher, prepared, beam=1)
    cap = int(PreparedData.load(prepared).split("train")[1].lengths.max())
    assert [list(map(int, r[:-1])) for r in PreparedData.load(out).split("train")[1]] == [
        r[: cap - 1] for r in expected]


def test_a_teacher_with_another_vocabulary_is_refused(corpus, tmp_path, tiny_run, capsys):
    prepared, _ = corpus
    other = tiny_run(tmp_path / "other", [("un oiseau vole", "a bird flies")], model=TINY).folder
    config = tmp_path / "c.yaml"
    config.write_text(f"data:\n  out: {prepared}\n", encoding="utf-8")
    assert main(["distill", str(other), "--config", str(config), "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "another source vocabulary" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "d").exists() and not D.parts_dir(tmp_path / "d").exists()
