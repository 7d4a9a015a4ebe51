"""`serve --run GRU --run TRANSFORMER` with real tiny models: the Transformer loads from its CTranslate2 int8 export
(RUN/ctranslate2), the GRU from its checkpoint, the default is the better validation BLEU in history.json, and
the API's `model` field picks either."""

import json

from fastapi.testclient import TestClient

from wordbridge.cli import main
from wordbridge.serve.app import create_app
from wordbridge.serve.server import load_models

TINY_TRANSFORMER = ("  arch: transformer\n  transformer: {d_model: 32, heads: 4, ff_size: 64, enc_layers: 1, "
                    "dec_layers: 1, dropout: 0.0, attn_dropout: 0.0}\n")
TRAIN = "  epochs: 2\n  batch_size: 8\n  threads: 1\n  log_every: 1\n  valid_bleu_sentences: 4\n"


def _set_bleu(run, bleu):
    history = json.loads((run / "history.json").read_text())
    history["valid"][-1]["bleu"] = bleu  # what validation recorded, made to differ between the two runs
    (run / "history.json").write_text(json.dumps(history))


def test_two_real_runs_served_side_by_side(tmp_path, cli_trained_run, tiny_pairs):
    root, config, transformer = cli_trained_run(tmp_path, TINY_TRANSFORMER, TRAIN)
    gru = tmp_path / "gru"
    assert main(["train", str(config), "--run-dir", str(gru), "--set", "model.arch=gru", "--set", "model.hidden=16",
                 "--set", "model.emb_size_src=16", "--set", "model.emb_size_tgt=16"]) == 0
    assert main(["export", str(transformer), "--quantization", "int8"]) == 0  # -> RUN/ctranslate2
    _set_bleu(gru, 3.0)
    _set_bleu(transformer, 7.0)
    models, searcher = load_models([gru, transformer], device="cpu")
    assert searcher is None and models.default == "run"
    engines = {m["name"]: (m["arch"], m["engine"], m["quantization"]) for m in models.describe()}
    assert engines == {"gru": ("gru", "torch", None), "run": ("transformer", "ctranslate2", "int8")}
    fr, _ = tiny_pairs
    with TestClient(create_app(models=models)) as client:
        for name in ("gru", "run", None):
            r = client.post("/api/translate", json={"text": fr[0], "model": name, "beam": 2})
            assert r.status_code == 200 and r.json()["model"] == (name or "run")
            assert r.json()["translations"][0]["src_tokens"] == fr[0].split()
