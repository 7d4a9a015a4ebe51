"""README command (1)'s side-by-side path (scripts/demo.sh with DEMO_ARCH unset) on a tiny prepared folder: both
models train at once, one core each, then both are scored with beam 5, the Transformer through its CTranslate2
int8 export, and one table plus both models' translations of examples/demo_fr.txt are printed.

Small enough for every CI run: DEMO_PREPARED points at ten sentence pairs, DEMO_MINUTES=1 bounds the trainings
(two epochs of tiny models end long before), DEMO_ONLY=translation skips install, fetch and DeViSE."""

import json
import os
import subprocess
import sys
from pathlib import Path

from wordbridge.cli import main

ROOT = Path(__file__).resolve().parents[2]
TINY_SET = ("train.epochs=2 train.batch_size=8 train.valid_bleu_sentences=4 train.log_every=1 "
            "train.keep_checkpoints=2 model.hidden=16 model.emb_size_src=16 model.emb_size_tgt=16 "
            "model.transformer.d_model=32 model.transformer.heads=4 model.transformer.ff_size=64 "
            "model.transformer.enc_layers=1 model.transformer.dec_layers=1")


def test_demo_trains_both_models_and_prints_them_side_by_side(tmp_path, tiny_pairs):
    fr, en = tiny_pairs
    (tmp_path / "fr.txt").write_text("\n".join(fr * 4) + "\n", encoding="utf-8")
    (tmp_path / "en.txt").write_text("\n".join(en * 4) + "\n", encoding="utf-8")
    config = tmp_path / "tiny.yaml"
    config.write_text("data:\n  src_vectors: null\n  tgt_vectors: null\n  filters: []\n  processes: 1\n",
                      encoding="utf-8")
    prepared = tmp_path / "prep"
    assert main(["prepare", str(config), "--src", str(tmp_path / "fr.txt"), "--tgt", str(tmp_path / "en.txt"),
                 "--out", str(prepared)]) == 0
    runs = tmp_path / "runs"
    src = str(ROOT / "src")
    env = {**os.environ, "PYTHON": sys.executable, "RUNS": str(runs), "DEMO_PREPARED": str(prepared),
           "DEMO_ONLY": "translation", "DEMO_MINUTES": "1", "DEMO_PROGRESS_S": "5", "DEMO_SET": TINY_SET,
           "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("DEMO_ARCH", None)
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "demo.sh")], env=env, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    gru, transformer = runs / "demo", runs / "demo-transformer"
    for run, arch in ((gru, "gru"), (transformer, "transformer")):
        ckpt_config = (run / "config.yaml").read_text(encoding="utf-8")
        assert f"arch: {arch}" in ckpt_config and "threads: 1" in ckpt_config  # one core each
        scores = json.loads((run / "test.beam5.json").read_text(encoding="utf-8"))
        assert scores["beam"] == 5 and scores["sentences"] > 0
        assert len((run / "demo_fr.en.txt").read_text(encoding="utf-8").splitlines()) == len(
            (ROOT / "examples" / "demo_fr.txt").read_text(encoding="utf-8").splitlines())
    assert json.loads((transformer / "ctranslate2" / "wordbridge_export.json").read_text())["quantization"] == "int8"
    assert json.loads((transformer / "test.beam5.json").read_text())["engine"] == "ctranslate2"
    assert (gru / "attention.png").is_file()
    header = next(line for line in out.splitlines() if "the lesson's GRU" in line and "Transformer" in line)
    assert header.index("the lesson's GRU") < header.index("Transformer")
    bleu_row = next(line for line in out.splitlines() if line.startswith("test BLEU / chrF (beam 5)"))
    assert len(bleu_row.split()) == len("test BLEU / chrF (beam 5)".split()) + 4  # BLEU and chrF of each model
    for sentence in (ROOT / "examples" / "demo_fr.txt").read_text(encoding="utf-8").splitlines():
        assert f"FR  {sentence}" in out
    assert "no DeViSE" in out and "pip install" not in out
