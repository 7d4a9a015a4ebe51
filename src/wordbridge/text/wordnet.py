"""A tiny reader for WordNet 3.0 data files (`data.noun`, `data.verb`, ...), as shipped by Debian's wordnet-base.

Used by the English word-vector asset (its glosses are training text) and by DeViSE labels (ImageNet wnids are
`n` + the 8-digit noun offset: n01440764 = tench). Format of one data line (see wndb(5)):

    offset lex_filenum ss_type w_cnt(hex) word lex_id [word lex_id ...] p_cnt [ptr ...] [frames] | gloss
"""

from pathlib import Path
from typing import Iterator, NamedTuple

from wordbridge import asset_paths
from wordbridge.errors import DataError, choices_hint

POS_FILES = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}  # data.<pos> -> synset-id letter


class Synset(NamedTuple):
    offset: int  # byte offset of the line in data.<pos>: the synset's id within its part of speech
    lemmas: list[str]  # words of the synset, underscores turned into spaces ("Tinca tinca")
    gloss: str  # definition and examples ('a tree ...; "an example"')


def synset_id(offset: int, pos: str = "noun") -> str:
    """ImageNet-style id: `n%08d` for nouns (`v`, `a`, `r` for the other parts of speech)."""
    return f"{POS_FILES[pos]}{offset:08d}"


def default_dict_dir() -> Path:
    """The dict folder of the fetched `wordnet` asset (AssetError telling how to fetch it when missing)."""
    return asset_paths.path("wordnet") / "dict"


def data_file(dict_dir: str | Path | None, pos: str) -> Path:
    if pos not in POS_FILES:
        raise DataError(f"Invalid WordNet part of speech {choices_hint(pos, POS_FILES)}")
    folder = Path(dict_dir) if dict_dir is not None else default_dict_dir()
    path = folder / f"data.{pos}"
    if not path.is_file():
        raise DataError(f"WordNet data file not found: {path}")
    return path


def _lemma(word: str) -> str:
    # adjectives may carry a syntactic marker: "outback(a)", "galore(ip)"
    if word.endswith(")") and "(" in word:
        word = word[: word.index("(")]
    return word.replace("_", " ")


def parse_line(line: str, path: Path | str = "data", lineno: int = 0) -> tuple[Synset, list[int]]:
    """One data line -> (Synset, hypernym offsets). DataError naming file and line when it is malformed."""
    head, _, gloss = line.partition(" | ")
    fields = head.split()
    try:
        offset = int(fields[0])
        n_words = int(fields[3], 16)
        lemmas = [_lemma(fields[4 + 2 * i]) for i in range(n_words)]
        p_at = 4 + 2 * n_words
        n_ptrs = int(fields[p_at])
        ptrs = [fields[p_at + 1 + 4 * i: p_at + 5 + 4 * i] for i in range(n_ptrs)]
        hypernyms = [int(p[1]) for p in ptrs if p[0] in ("@", "@i")]
    except (IndexError, ValueError):
        raise DataError(f"{path}:{lineno}: not a WordNet data line") from None
    return Synset(offset, lemmas, gloss.strip()), hypernyms


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8") as handle:
        for lineno, line in enumerate(handle, 1):
            if line.startswith("  ") or not line.strip():  # the licence header lines start with two spaces
                continue
            yield lineno, line.rstrip("\n")


def iter_synsets(dict_dir: str | Path | None = None, pos: str = "noun") -> Iterator[Synset]:
    """Stream the synsets of one part of speech: (offset, lemmas, gloss). dict_dir None = the fetched asset."""
    path = data_file(dict_dir, pos)
    for lineno, line in _lines(path):
        yield parse_line(line, path, lineno)[0]


def hypernyms(dict_dir: str | Path | None = None, pos: str = "noun") -> dict[str, list[str]]:
    """{synset id: ids of its hypernyms (is-a parents, instance-of included)}, e.g. for label hierarchies."""
    path = data_file(dict_dir, pos)
    out: dict[str, list[str]] = {}
    for lineno, line in _lines(path):
        synset, parents = parse_line(line, path, lineno)
        out[synset_id(synset.offset, pos)] = [synset_id(p, pos) for p in parents]
    return out


def load_synsets(dict_dir: str | Path | None = None, pos: str = "noun") -> dict[str, Synset]:
    """{synset id ('n01440764'): Synset} for one part of speech (82,115 nouns in WordNet 3.0)."""
    return {synset_id(s.offset, pos): s for s in iter_synsets(dict_dir, pos)}
