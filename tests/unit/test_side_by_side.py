"""scripts/side_by_side.py: the demo's table (training, test scores overall and per source, one column pair per
model) and the French sentences with each model's translation under them."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("side_by_side", ROOT / "scripts" / "side_by_side.py")
side = importlib.util.module_from_spec(spec)
spec.loader.exec_module(side)


def _model(tmp_path, name, bleu, by_source, lines, history=True):
    run = tmp_path / name
    run.mkdir()
    if history:
        valid = [{"step": 100, "elapsed_s": 60.0, "bleu": bleu - 1}, {"step": 250, "elapsed_s": 150.0, "bleu": bleu}]
        (run / "history.json").write_text(json.dumps({"train": [], "valid": valid}))
    ev = run / "eval.json"
    ev.write_text(json.dumps({"bleu": bleu, "chrf": 2 * bleu, "beam": 5, "sentences": 40, "by_source": by_source}))
    tr = run / "out.txt"
    tr.write_text("\n".join(lines) + "\n")
    return [name, str(run), str(ev), str(tr)]


def test_table_and_sentences(tmp_path, capsys):
    fr = tmp_path / "fr.txt"
    fr.write_text("le chat .\nle chien .\n")
    gru = _model(tmp_path, "GRU", 4.5, {"bible": {"bleu": 3.0, "chrf": 20.0}}, ["the cat .", "the dog ."])
    tr = _model(tmp_path, "Transformer", 9.25, {"bible": {"bleu": 8.0, "chrf": 30.0},
                                                "manpages": {"bleu": 11.5, "chrf": 40.0}}, ["a cat ."], history=False)
    assert side.main(["--french", str(fr), "--model", *gru, "--model", *tr]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = {line.strip().split("  ")[0]: line.split() for line in out if line and not line.startswith(" " * 4)}
    assert rows["optimiser steps"][-2:] == ["250", "-"]  # no history: a dash
    assert rows["best validation BLEU"][-2:] == ["4.50", "-"]
    assert rows["test BLEU / chrF (beam 5)"][-4:] == ["4.50", "9.00", "9.25", "18.50"]
    assert rows["manpages"][-4:] == ["-", "-", "11.50", "40.00"]  # a source only one model was scored on
    i = out.index("FR  le chien .")
    assert out[i + 1].split() == ["GRU", "the", "dog", "."] and out[i + 2].split() == ["Transformer"]
