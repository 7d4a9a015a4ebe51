"""Every translation subcommand end to end on tiny generated data: prepare -> train -> resume -> lr-find ->
evaluate -> translate, plus the bad-input paths (existing run folder, corrupt checkpoint)."""

import io
import json

import pytest
import torch

from wordbridge.cli import main

@pytest.fixture(scope="module")
def work(tmp_path_factory, cli_trained_run):
    return cli_trained_run(
        tmp_path_factory.mktemp("translate_cli"), "  emb_size_src: 16\n  emb_size_tgt: 16\n  hidden: 16\n",
        "  epochs: 2\n  batch_size: 8\n  lr: 0.01\n  threads: 1\n  log_every: 1\n"
        "  valid_bleu_sentences: 4\n  teacher_forcing: {start: 1.0, end: 0.0, epochs: 2}\n")


def test_train_writes_a_complete_run_folder(work):
    _, _, run = work
    for name in ("best.pt", "latest.pt", "config.yaml", "vocab.src.json", "vocab.tgt.json", "tokenizer.json",
                 "history.json", "log.txt", "loss.png"):
        assert (run / name).is_file(), name
    history = json.loads((run / "history.json").read_text())
    assert {"loss", "bleu", "chrf"} <= set(history["valid"][-1])


def test_existing_run_folder_is_not_overwritten(work, capsys):
    _, config, run = work
    before = (run / "latest.pt").stat().st_mtime_ns
    assert main(["train", str(config), "--run-dir", str(run)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (run / "latest.pt").stat().st_mtime_ns == before


def test_resume_continues_from_the_saved_step(work, tmp_path):
    root, config, run = work
    resumed = tmp_path / "resumed"
    assert main(["train", str(config), "--run-dir", str(resumed), "--set", "train.epochs=1"]) == 0
    step1 = torch.load(resumed / "latest.pt", weights_only=True)["step"]
    assert main(["train", str(config), "--run-dir", str(resumed), "--resume", "--set", "train.epochs=2"]) == 0
    ckpt = torch.load(resumed / "latest.pt", weights_only=True)
    assert ckpt["step"] == 2 * step1 and ckpt["epoch"] == 2
    assert "resumed from" in (resumed / "log.txt").read_text()


def test_lr_find_writes_plot_and_suggestion(work, tmp_path, capsys):
    _, config, _ = work
    png = tmp_path / "lr.png"
    assert main(["lr-find", str(config), "--png", str(png), "--steps", "6"]) == 0
    assert png.is_file() and "suggested lr" in capsys.readouterr().out


def test_evaluate_json_on_split_and_on_files(work, capsys):
    root, _, run = work
    assert main(["evaluate", str(run), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"bleu", "chrf", "loss", "ppl"} <= set(out) and out["loss"] > 0
    assert main(["evaluate", str(run), "--src", str(root / "fr.txt"), "--ref", str(root / "en.txt"), "--json",
                 "--beam", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["sentences"] == 40 and 0 <= out["bleu"] <= 100
    assert main(["evaluate", str(run), "--json", "--int8"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["int8"] is True and 0 <= out["bleu"] <= 100 and out["loss"] > 0
    (root / "short.txt").write_text("le chat\n", encoding="utf-8")
    assert main(["evaluate", str(run), "--src", str(root / "fr.txt"), "--ref", str(root / "short.txt")]) == 2


def test_evaluate_scores_each_source_and_another_prepared_folder(work, capsys):
    root, _, run = work
    prep = root / "prep"
    n = len((prep / "test.src.txt").read_text(encoding="utf-8").splitlines())
    assert (prep / "test.source.txt").read_text(encoding="utf-8").split() == ["fr.txt"] * n
    names = ["firefox" if i % 2 else "bible" for i in range(n)]
    other = root / "other-prep"  # the same split, as if prepared from a two-source corpus
    other.mkdir()
    for name in ("stats.json", "vocab.src.json", "vocab.tgt.json", "test.src.txt", "test.tgt.txt"):
        (other / name).write_bytes((prep / name).read_bytes())
    (other / "test.source.txt").write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
    assert main(["evaluate", str(run), "--prepared", str(other), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["by_source"]) == set(names) and "of " + str(other) in out["source"]
    assert sum(s["sentences"] for s in out["by_source"].values()) == out["sentences"] == n
    assert all(0 <= s["bleu"] <= 100 and 0 <= s["chrf"] <= 100 for s in out["by_source"].values())
    assert all(s["bleu"] <= s["bleu_uncased"] for s in out["by_source"].values())
    assert main(["evaluate", str(run), "--prepared", str(other)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[2].split() == ["source", "sentences", "BLEU", "chrF", "uncased", "BLEU", "chrF"]
    assert {row.split()[0] for row in table[3:]} == set(names)


def test_translate_text_file_stdin_and_heatmap(work, tmp_path, capsys, monkeypatch):
    root, _, run = work
    png = tmp_path / "att.png"
    assert main(["translate", str(run), "Qu'est-ce que la lumière ?", "--plot-attention", str(png)]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 and png.stat().st_size > 1000
    src = tmp_path / "in.txt"
    src.write_text("le chat est noir .\n\nle zorglub est bleu .\n", encoding="utf-8")
    out = tmp_path / "out.txt"
    assert main(["translate", str(run), "-i", str(src), "-o", str(out), "--beam", "3"]) == 0
    lines = out.read_text(encoding="utf-8").split("\n")
    assert len(lines) == 4 and lines[1] == "" and lines[3] == ""
    assert main(["translate", str(run), "-i", str(src), "-o", str(out)]) == 2  # exists, no --overwrite
    assert main(["translate", str(run), "-i", str(src), "-o", str(out), "--overwrite", "--int8", "--beam", "2"]) == 0
    assert len(out.read_text(encoding="utf-8").split("\n")) == 4
    monkeypatch.setattr("sys.stdin", io.StringIO("le chien est blanc .\n\n"))
    assert main(["translate", str(run)]) == 0
    assert capsys.readouterr().out.split("\n")[1] == ""


def test_corrupt_checkpoint_is_a_one_line_error(work, tmp_path, capsys):
    _, _, run = work
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("vocab.src.json", "vocab.tgt.json", "tokenizer.json"):
        (bad / name).write_bytes((run / name).read_bytes())
    (bad / "best.pt").write_bytes((run / "best.pt").read_bytes()[:200])
    assert main(["translate", str(bad), "le chat"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_translate_json_stdin_dash_and_source_beside_translation(work, tmp_path, capsys, monkeypatch):
    _, _, run = work
    assert main(["translate", str(run), "le chat est noir .", "--json"]) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["source"] == "le chat est noir ." and row["src_tokens"] == ["le", "chat", "est", "noir", "."]
    assert isinstance(row["text"], str) and isinstance(row["tokens"], list) and "attention" not in row
    monkeypatch.setattr("sys.stdin", io.StringIO("le chien est blanc .\nle ciel est bleu .\n"))
    assert main(["translate", str(run), "-", "--json"]) == 0
    assert [json.loads(line)["source"] for line in capsys.readouterr().out.splitlines()] == [
        "le chien est blanc .", "le ciel est bleu ."]
    src = tmp_path / "in.txt"
    src.write_text("le chat est noir .\nelle lit un livre .\n", encoding="utf-8")
    assert main(["translate", str(run), "-i", str(src), "--with-source"]) == 0
    assert [line.split("\t")[0] for line in capsys.readouterr().out.splitlines()] == src.read_text().splitlines()


def test_a_long_paragraph_is_translated_whole_sentence_by_sentence(work, capsys):
    _, _, run = work
    paragraph = " ".join(["le chat est noir ."] * 30)  # 150 tokens: more than the model's 100
    assert main(["translate", str(run), paragraph, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert len(row["src_tokens"]) == 150  # nothing cut: every sentence went through the model


def _bad_translate_inputs(tmp_path):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("le café est noir .\n".encode("latin-1"))
    huge = tmp_path / "huge.txt"
    huge.write_text("le chat " * 12_500 + "\n", encoding="utf-8")  # one line of 100,000 characters
    return {"folder": (["-i", str(tmp_path)], "is a folder"), "latin1": (["-i", str(latin1)], "not UTF-8"),
            "huge": (["-i", str(huge)], "100,000 characters"), "dash on a terminal": (["-"], "nothing is piped"),
            "huge text": (["le chat " * 12_500], "100,000 characters")}


@pytest.mark.parametrize("case", ["folder", "latin1", "huge", "dash on a terminal", "huge text"])
def test_translate_bad_input_is_one_line_exit_2(work, tmp_path, capsys, monkeypatch, case):
    _, _, run = work
    args, message = _bad_translate_inputs(tmp_path)[case]
    monkeypatch.setattr("sys.stdin", _Terminal(""))
    out = tmp_path / "out.txt"
    assert main(["translate", str(run), *args, "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err
    assert not out.exists()
