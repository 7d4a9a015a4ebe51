"""Train-only extra sources of `wordbridge prepare` (`data.extra_sources`), e.g. a back-translated corpus.

An extra source is a folder that `wordbridge backtranslate` wrote: SYNTHETIC_FR (machine French) and SYNTHETIC_EN
(the real English it came from), line-aligned. Its pairs go through the configured filters (dedup among themselves),
lose every pair whose English is the English of a valid/test pair of the real corpus (compared normalised), and go
to the train split only, under their own source name in `{split}.source.txt` (so BLEU per source and weights per
source can name them). With `tag: true` (tagged back-translation, Caswell et al. 2019) the pipeline prepends the
reserved source token BT_TAG to their source ids: no tokenizer ever yields it from text (spaCy and sentencepiece
split `<bt>` into pieces), so the model can tell synthetic input from real input.
"""

import dataclasses
import logging
from pathlib import Path

import numpy as np

from wordbridge.errors import DataError
from wordbridge.text import corpora
from wordbridge.text import filters as filters_mod
from wordbridge.text.monolingual import count_lines, normalise

log = logging.getLogger(__name__)

BT_TAG = "<bt>"  # the reserved source token of tagged synthetic pairs
SYNTHETIC_FR, SYNTHETIC_EN = "synthetic.fr", "synthetic.en"  # a back-translation folder's aligned files


@dataclasses.dataclass(frozen=True)
class ExtraSource:
    """One entry of `data.extra_sources`."""

    path: str  # a `wordbridge backtranslate` output folder (synthetic.fr + synthetic.en)
    name: str = "backtranslated"  # its source name in stats.json and {split}.source.txt
    tag: bool = True  # prepend BT_TAG to its source side


def synthetic_files(folder: str | Path) -> tuple[Path, Path]:
    """(french, english) files of a back-translation folder; DataError in one line when they are missing or their
    line counts disagree (a back-translation cut short)."""
    folder = Path(folder)
    fr, en = folder / SYNTHETIC_FR, folder / SYNTHETIC_EN
    if not fr.is_file() or not en.is_file():
        raise DataError(f"{folder} holds no finished back-translation ({SYNTHETIC_FR} + {SYNTHETIC_EN}); run "
                        f"`wordbridge backtranslate RUN --out {folder}` (again, to finish it).")
    n_fr, n_en = count_lines(fr), count_lines(en)
    if n_fr != n_en:
        raise DataError(f"{fr} has {n_fr} lines but {en} has {n_en}: the synthetic corpus is cut short; "
                        f"run `wordbridge backtranslate` with --out {folder} again to rebuild it.")
    return fr, en


def add_extra(cfg, pairs: list, sources: list[str], index: dict[str, np.ndarray],
              per_source: dict[str, dict]) -> tuple[list, list[str], dict[str, np.ndarray], list[bool]]:
    """Append each extra source's pairs (french, english) to the train split -> (pairs, sources, index, tagged)."""
    tagged = [False] * len(pairs)
    if not cfg.extra_sources:
        return pairs, sources, index, tagged
    held_out = {normalise(pairs[i][1]) for split in ("valid", "test") for i in index[split]}
    names = set(sources)
    pairs, sources, train = list(pairs), list(sources), [index["train"]]
    for extra in cfg.extra_sources:
        if extra.name in names:
            raise DataError(f"data.extra_sources: source name '{extra.name}' is taken; give it another `name`.")
        names.add(extra.name)
        flist = filters_mod.make_filters(list(cfg.filters), max_words=cfg.max_words, max_ratio=cfg.max_ratio)
        counts = {"read": 0, "kept": 0, "capped": False, "removed": {}, "skipped_files": 0, "tagged": extra.tag}
        start, heldout = len(pairs), 0
        for fr, en in filters_mod.apply_filters(_counted(corpora.read_pairs(*synthetic_files(extra.path)), counts),
                                                flist):
            if normalise(en) in held_out:
                heldout += 1
                continue
            pairs.append((fr, en))
            sources.append(extra.name)
            counts["kept"] += 1
        counts["removed"] = {**filters_mod.report(flist), "held_out": heldout}
        per_source[extra.name] = counts
        tagged += [extra.tag] * (len(pairs) - start)
        train.append(np.arange(start, len(pairs)))
        log.info("  %-18s %8d read, %8d kept (train only%s; %d held-out English removed)", extra.name,
                 counts["read"], counts["kept"], f", tagged {BT_TAG}" if extra.tag else "", heldout)
    return pairs, sources, {**index, "train": np.concatenate(train)}, tagged


def _counted(pairs, counts: dict):
    for pair in pairs:
        counts["read"] += 1
        yield pair


def tag_tokens(tokens: list[list[str]], tagged: list[bool]) -> list[list[str]]:
    """Source token lists with BT_TAG prepended where `tagged` says."""
    return [[BT_TAG, *t] if tag else t for t, tag in zip(tokens, tagged)]
