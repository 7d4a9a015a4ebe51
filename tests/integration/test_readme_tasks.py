"""The README's "Train on your own corpus" and "Translate ..." sections, run as a reader would: every line of their
code blocks that starts with `wordbridge` goes through the real CLI, in a folder holding small stand-ins for the files
they name (a Tatoeba fra.txt, the giga-fren pair, a folder of .po catalogs, a file to translate). Only cheap
overrides are appended (no pretrained vectors, a tiny sentencepiece vocabulary, one epoch), so a README command that
no longer works fails here."""

import json
import random
import re
import shlex
import shutil
from pathlib import Path

import polib
import pytest

from wordbridge.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CHEAP = {
    "prepare": ["--set", "data.src_vectors=null", "--set", "data.tgt_vectors=null", "--set", "data.spm_vocab_size=40",
                "--processes", "1"],
    "train": ["--set", "train.epochs=1", "--set", "train.valid_bleu_sentences=8", "--set", "train.threads=1",
              "--set", "train.precision=fp32"],
}
FR = "le chat chien maison voiture rouge bleu grand petit mange dort court".split()
EN = "the cat dog house car red blue big small eats sleeps runs".split()


def section_commands(title: str) -> list[list[str]]:
    """The `wordbridge ...` lines of the code blocks under README heading `## TITLE`, as argument lists."""
    text = README.read_text(encoding="utf-8")
    section = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", section, re.M | re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] == ["wordbridge"]:
                commands.append(words[1:])
    return commands


def _sentences(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        idx = [rng.randrange(len(FR)) for _ in range(rng.randint(2, 6))]
        pairs.append((" ".join(FR[i] for i in idx), " ".join(EN[i] for i in idx)))
    return pairs


def _stand_ins(folder: Path) -> None:
    """fra.txt (English<TAB>French<TAB>attribution), the giga-fren pair (questions) and locale/ with a .po file."""
    with open(folder / "fra.txt", "w", encoding="utf-8") as f:
        for n, (fr, en) in enumerate(_sentences(300, 1)):
            f.write(f"{en.capitalize()}.\t{fr.capitalize()}.\tCC-BY 2.0 (France) Attribution: tatoeba.org #{n}\n")
    questions = _sentences(200, 2)
    (folder / "giga-fren.release2.fixed.fr").write_text("".join(f"{fr} ?\n" for fr, _ in questions), encoding="utf-8")
    (folder / "giga-fren.release2.fixed.en").write_text("".join(f"What {en}?\n" for _, en in questions),
                                                        encoding="utf-8")
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    for n, (fr, en) in enumerate(_sentences(200, 3)):
        catalog.append(polib.POEntry(msgid=f"{en} {n}", msgstr=f"{fr} {n}"))
    (folder / "locale").mkdir()
    catalog.save(str(folder / "locale" / "fr.po"))


def _cheap(args: list[str]) -> list[str]:
    args = [str(ROOT / a) if a.startswith("configs/") else a for a in args]
    return args + CHEAP.get(args[0], [])


def test_train_on_your_own_corpus_as_the_readme_says(tmp_path, monkeypatch, capsys):
    commands = section_commands("Train on your own corpus")
    names = [c[0] for c in commands]
    assert names.count("prepare") == 3 and {"train", "evaluate", "translate"} <= set(names)
    _stand_ins(tmp_path)
    monkeypatch.chdir(tmp_path)
    for args in commands:
        capsys.readouterr()
        assert main(_cheap(args)) == 0, f"wordbridge {' '.join(args)}"
        if args[0] == "prepare":
            out = tmp_path / args[args.index("--out") + 1]
            assert json.loads((out / "stats.json").read_text(encoding="utf-8"))["pairs_kept"] > 100
        if args[0] == "translate":
            assert capsys.readouterr().out.strip()  # one English line for the README's sentence
    run = next(tmp_path / c[c.index("--run-dir") + 1] for c in commands if c[0] == "train")
    assert (run / "best.pt").is_file()

    # "Translate a sentence, a file, or stdin" on that run, standing in for the demo's two runs
    shutil.copytree(run, tmp_path / "runs" / "demo")
    shutil.copytree(run, tmp_path / "runs" / "demo-transformer")
    (tmp_path / "lettre.txt").write_text("le chat dort.\n\nle chien mange.\n", encoding="utf-8")
    for args in section_commands("Translate a sentence, a file, or stdin"):
        assert main(args) == 0, f"wordbridge {' '.join(args)}"
    assert len((tmp_path / "letter.txt").read_text(encoding="utf-8").splitlines()) == 3
    assert (tmp_path / "attention.png").stat().st_size > 0


@pytest.mark.parametrize("title", ["Translate a sentence, a file, or stdin", "Search your own photos",
                                   "Serve the page", "The two models, and longer training"])
def test_the_other_task_sections_give_commands(title):
    assert section_commands(title)
