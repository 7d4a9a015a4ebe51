"""Readers of English monolingual text (the `en-mono` asset and `wordbridge backtranslate`'s input).

- `wordnet_examples(dict_dir)`: the quoted usage examples of WordNet glosses (`...; "most people like eggs"`).
- `fortune_sentences(folder)`: sentences of Debian fortune cookie files (`%`-separated entries; attribution lines
  `-- Author` dropped, entries split into sentences, code-like or verse-like lines left out).
- `read_sentences(path)`: one sentence a line; DataError in one line for a missing file, non-UTF-8 text or no
  sentence at all.
- `normalise(text)`: the comparison key (case-folded words, punctuation and spacing ignored) used to deduplicate and
  to keep held-out English out of training text.
"""

import re
import unicodedata
from pathlib import Path
from typing import Iterable, Iterator

from wordbridge.errors import DataError
from wordbridge.text.lines import read_lines

_QUOTED = re.compile(r'"([^"]+)"')
_SENTENCE_END = re.compile(r'(?<=[.!?])\s+(?=["\'(]?[A-Z])|(?<=[.!?]["\'])\s+')
_GOOD = re.compile(r"""^["'(]?[A-Z][\w\s,;:'"()\-.!?’]*[.!?]["')]?$""")
SKIP_FORTUNE_FILES = frozenset({"ascii-art"})  # pictures, not sentences
EN_MONO_ASSET, EN_MONO_FILE = "en-mono", "en-mono.txt"  # the fetched asset: one sentence a line


def normalise(text: str) -> str:
    """Case-folded words joined by single spaces: 'The cat, ' and 'the  cat' compare equal."""
    return " ".join(re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def words_ok(sentence: str, min_words: int, max_words: int) -> bool:
    return min_words <= len(sentence.split()) <= max_words


def wordnet_examples(dict_dir: str | Path, min_words: int = 4, max_words: int = 30) -> Iterator[str]:
    """Usage examples quoted in the glosses of WORDNET/data.{noun,verb,adj,adv}, in file order (repeats included)."""
    for pos in ("noun", "verb", "adj", "adv"):
        path = Path(dict_dir) / f"data.{pos}"
        if not path.is_file():
            raise DataError(f"WordNet data file not found: {path}")
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("  "):  # the licence header
                    continue
                _, _, gloss = line.partition(" | ")
                for example in _QUOTED.findall(gloss):
                    example = " ".join(example.split())
                    if words_ok(example, min_words, max_words):
                        yield example


def fortune_entries(text: str) -> Iterator[str]:
    """The entries of a fortune file, attribution lines dropped, each as one line of text."""
    for entry in re.split(r"^%\s*$", text, flags=re.MULTILINE):
        lines = [ln for ln in entry.splitlines() if ln.strip() and not ln.strip().startswith("--")]
        if not lines or any(ln.startswith(("\t", "    ")) for ln in lines):  # verse, dialogue, code, art
            continue
        yield " ".join(" ".join(lines).split())


def fortune_sentences(folder: str | Path, min_words: int = 4, max_words: int = 30) -> Iterator[str]:
    """Plain prose sentences of the fortune files in FOLDER (strfile .dat indexes and .u8 links skipped)."""
    files = sorted(p for p in Path(folder).iterdir() if p.is_file() and not p.is_symlink() and not p.suffix
                   and p.name not in SKIP_FORTUNE_FILES)
    for path in files:
        for entry in fortune_entries(path.read_text(encoding="utf-8", errors="replace")):
            for sentence in _SENTENCE_END.split(entry):
                if _GOOD.match(sentence) and words_ok(sentence, min_words, max_words) and "  " not in sentence:
                    yield sentence


def dedup_excluding(sentences: Iterable[str], excluded: set[str],
                    seen: set[str] | None = None) -> tuple[list[str], dict[str, int]]:
    """First occurrence of each sentence (by `normalise`; `seen`: keys kept before, updated), leaving out the
    excluded keys -> (kept, counts)."""
    seen = set() if seen is None else seen
    kept: list[str] = []
    counts = {"read": 0, "duplicates": 0, "held_out": 0}
    for sentence in sentences:
        counts["read"] += 1
        key = normalise(sentence)
        if key in excluded or key in seen:
            counts["held_out" if key in excluded else "duplicates"] += 1
            continue
        seen.add(key)
        kept.append(sentence)
    counts["kept"] = len(kept)
    return kept, counts


def read_sentences(path: str | Path) -> list[str]:
    """Non-blank lines of a UTF-8 text file (whitespace runs collapsed); the file checks are text.lines'."""
    sentences = [" ".join(line.split()) for line in read_lines(path)]
    sentences = [s for s in sentences if s]
    if not sentences:
        raise DataError(f"{path} holds no sentence (empty or blank lines only).")
    return sentences


def count_lines(path: str | Path) -> int:
    """Lines of a file (a last line without a newline counts)."""
    n, last = 0, b"\n"
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            n += block.count(b"\n")
            last = block[-1:]
    return n + (last != b"\n")
