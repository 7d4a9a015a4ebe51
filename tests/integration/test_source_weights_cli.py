"""`train.source_weights` through the CLI: a good key trains, a key naming no source of the prepared data or a
weight <= 0 stops with one `error:` line, exit 2, and no run folder."""

import pytest

from wordbridge.cli import main


@pytest.fixture(scope="module")
def work(tmp_path_factory, cli_trained_run):
    return cli_trained_run(
        tmp_path_factory.mktemp("weights_cli"), "  emb_size_src: 8\n  emb_size_tgt: 8\n  hidden: 8\n",
        "  epochs: 1\n  batch_size: 8\n  threads: 1\n  valid_bleu_sentences: 0\n"
        "  source_weights: {fr.txt: 2.0}\n")  # a --src/--tgt corpus's one source is named after the file


def test_weighted_training_runs(work):
    _, _, run = work
    assert (run / "best.pt").is_file()


@pytest.mark.parametrize("override,needle", [("train.source_weights.wesnoth=2", "'wesnoth'"),
                                             ("train.source_weights={fr.txt: 0}", "fr.txt 0")])
def test_bad_source_weights_are_one_line_exit_2(work, tmp_path, capsys, override, needle):
    _, config, _ = work
    run = tmp_path / "never"
    assert main(["train", str(config), "--run-dir", str(run), "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and needle in err and "\n" not in err
    assert not run.exists()
