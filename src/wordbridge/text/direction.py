"""Which way a model translates: `data.direction` fr-en (the default) or en-fr (the reverse model that
back-translation needs), one place for what follows from it.

Corpus readers always yield (french, english) pairs and the config's `src_*`/`tgt_*` keys describe the French and
English sides as for fr-en; `oriented(cfg)` swaps languages and word vectors for en-fr and `orient(pairs)` swaps the
pairs, after the train/valid/test split is drawn on the (french, english) pair, so that both directions hold out the
same pairs. A prepared folder and a run record the direction in tokenizer.json (`src_lang`-`tgt_lang`) and in
config.yaml (`data.direction`); `folder_direction(dir)` reads it back and `require(dir, want, what)` refuses a folder
of the other direction in one line.
"""

import dataclasses
import json
from pathlib import Path
from typing import Literal, Sequence, TypeVar, get_args

from wordbridge.errors import ConfigError, DataError, choices_hint

Direction = Literal["fr-en", "en-fr"]
DIRECTIONS: tuple[str, ...] = get_args(Direction)
DEFAULT: Direction = "fr-en"

C = TypeVar("C")


def check(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ConfigError(f"Invalid data.direction {choices_hint(direction, DIRECTIONS)}")
    return direction


def oriented(cfg: C) -> C:
    """A PrepareConfig whose src_*/tgt_* keys are the model's source and target: swapped for en-fr."""
    if check(getattr(cfg, "direction", DEFAULT)) == "fr-en":
        return cfg
    return dataclasses.replace(cfg, src_lang=cfg.tgt_lang, tgt_lang=cfg.src_lang,  # type: ignore[type-var]
                               src_vectors=cfg.tgt_vectors, tgt_vectors=cfg.src_vectors)


def orient(pairs: Sequence[tuple[str, str]], direction: str) -> list[tuple[str, str]]:
    """(french, english) pairs -> (model source, model target) pairs."""
    return list(pairs) if check(direction) == "fr-en" else [(en, fr) for fr, en in pairs]


def folder_direction(folder: str | Path) -> str:
    """'fr-en', 'en-fr' (or another 'src-tgt' pair of languages) from a prepared, run or export folder."""
    path = Path(folder) / "tokenizer.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        return f"{meta['src_lang']}-{meta['tgt_lang']}"
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; is {folder} a prepared data, run or export folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise DataError(f"{path} is not a wordbridge tokenizer description.") from None


def require(folder: str | Path, want: str, what: str) -> str:
    """The folder's direction; DataError in one line when it is not `want` (`what` names the command)."""
    have = folder_direction(folder)
    if have != want:
        hint = " (train one with --set data.direction=en-fr)" if want == "en-fr" else ""
        raise DataError(f"{folder} translates {have}, but {what} needs a {want} model{hint}.")
    return have
