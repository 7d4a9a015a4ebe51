"""Several runs in one server (serve/models.py + the app's `model` field), with fake translators and fake run
folders: names, archs, validation BLEU from history.json, the default, bad input."""

import json

import pytest
import yaml
from fastapi.testclient import TestClient

from wordbridge import cli
from wordbridge.errors import ConfigError
from wordbridge.serve import models as served
from wordbridge.serve import server
from wordbridge.serve.app import create_app
from wordbridge.translate import ct2_export


def fake_run(folder, arch, bleus=(), export=None):
    """A run folder as `wordbridge train` leaves it (config.yaml, best.pt, history.json), optionally with
    RUN/ctranslate2 as `wordbridge export` leaves it (its marker)."""
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(yaml.safe_dump({"model": {"arch": arch}}), encoding="utf-8")
    (folder / "best.pt").write_bytes(b"weights")
    (folder / "vocab.src.json").write_text("[]", encoding="utf-8")
    history = {"train": [], "valid": [{"step": 10 * i, "loss": 1.0, "bleu": b} for i, b in enumerate(bleus)]}
    (folder / "history.json").write_text(json.dumps(history), encoding="utf-8")
    if export:
        out = folder / "ctranslate2"
        out.mkdir()
        (out / "config.yaml").write_text((folder / "config.yaml").read_text(), encoding="utf-8")
        (out / "wordbridge_export.json").write_text(json.dumps({"run": str(folder), "quantization": export}))
    return folder


@pytest.fixture
def two_runs(tmp_path, fakes):
    gru = fake_run(tmp_path / "gru", "gru", bleus=(2.0, 5.5, 5.0))
    tr = fake_run(tmp_path / "transformer", "transformer", bleus=(8.0, 12.25), export="int8")
    loaded = []

    def load(info):
        loaded.append(info)
        return fakes.UpperTranslator() if info.arch == "transformer" else fakes.FakeTranslator()

    return served.load_model_set([gru, tr], load), loaded


def test_runs_are_named_described_and_the_best_bleu_is_the_default(two_runs):
    model_set, loaded = two_runs
    assert model_set.default == "transformer"  # 12.25 > 5.5
    gru, tr = loaded
    assert (gru.engine, gru.path.name, gru.valid_bleu) == ("torch", "gru", 5.5)
    assert (tr.engine, tr.quantization, tr.path.name, tr.valid_bleu) == ("ctranslate2", "int8", "ctranslate2", 12.25)
    labels = {m["name"]: m["label"] for m in model_set.describe()}
    assert labels == {"gru": "the lesson's GRU", "transformer": "Transformer"}


def test_api_picks_the_named_model_and_lists_them(two_runs, fakes):
    model_set, _ = two_runs
    with TestClient(create_app(searcher=None, models=model_set)) as client:
        default = client.post("/api/translate", json={"text": "le chat noir"}).json()
        assert (default["model"], default["translations"][0]["text"]) == ("transformer", "THE CAT BLACK")
        gru = client.post("/api/translate", json={"text": "le chat noir", "model": "gru"}).json()
        assert (gru["model"], gru["translations"][0]["text"]) == ("gru", "the cat black")
        listed = client.get("/api/models").json()
        assert listed["default"] == "transformer"
        assert [(m["name"], m["arch"], m["valid_bleu"], m["default"]) for m in listed["models"]] == [
            ("gru", "gru", 5.5, False), ("transformer", "transformer", 12.25, True)]
        bad = client.post("/api/translate", json={"text": "le chat", "model": "nope"})
        assert bad.status_code == 400
        assert "nope" in bad.json()["detail"] and "gru" in bad.json()["detail"]
        assert client.get("/health").json()["translator"] is True


def test_the_fake_pair_serves_like_the_demo_runs(fakes):
    with TestClient(create_app(models=fakes.fake_models())) as client:
        listed = client.get("/api/models").json()
        assert listed["default"] == "demo-transformer"
        assert [m["label"] for m in listed["models"]] == ["the lesson's GRU", "Transformer"]
        r = client.post("/api/translate", json={"text": ["le chat", "un chien"], "model": "demo"}).json()
        assert [t["text"] for t in r["translations"]] == ["the cat", "a dog"]


def test_one_translator_still_serves_without_a_model_field(fakes):
    with TestClient(create_app(fakes.FakeTranslator())) as client:
        r = client.post("/api/translate", json={"text": "le chien"})
        assert r.json()["translations"][0]["text"] == "the dog"
        assert [m["name"] for m in client.get("/api/models").json()["models"]] == [r.json()["model"]]


def test_an_export_folder_given_directly_is_named_after_its_run(tmp_path):
    run = fake_run(tmp_path / "demo", "transformer", bleus=(3.0,), export="int8")
    info = served.run_info(run / "ctranslate2")
    assert (info.name, info.engine, info.valid_bleu, info.arch) == ("demo", "ctranslate2", 3.0, "transformer")
    assert served.run_info(run, engine="torch").engine == "torch"  # --engine torch ignores the export


def test_runs_without_bleu_rank_last_and_ties_keep_the_order(tmp_path):
    infos = [served.RunInfo("a", tmp_path, "gru", None, "torch", None),
             served.RunInfo("b", tmp_path, "gru", 4.0, "torch", None),
             served.RunInfo("c", tmp_path, "gru", 4.0, "torch", None)]
    assert served.best_run(infos) == "b"
    assert served.best_run(infos[:1]) == "a"


def test_export_names_match_the_exporter():
    assert (served.EXPORT_SUBDIR, served.EXPORT_MARKER) == (ct2_export.DEFAULT_SUBDIR, ct2_export.MARKER)


def test_a_folder_that_is_not_a_run_is_exit_2_and_loads_nothing(tmp_path, capsys, monkeypatch):
    good = fake_run(tmp_path / "gru", "gru")
    (tmp_path / "empty").mkdir()
    monkeypatch.setattr(served, "ServedModel", lambda *a: pytest.fail("loaded a model before checking all runs"))
    assert cli.main(["serve", "--run", str(good), "--run", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err
    assert "not a translation run folder" in err and len(err.strip().splitlines()) == 1


def test_two_runs_with_the_same_name_are_exit_2(tmp_path, capsys):
    a = fake_run(tmp_path / "a" / "demo", "gru")
    b = fake_run(tmp_path / "b" / "demo", "transformer")
    assert cli.main(["serve", "--run", str(a), "--run", str(b)]) == 2
    err = capsys.readouterr().err
    assert "Two runs are named 'demo'" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(ConfigError):
        server.load_models([a, b])
