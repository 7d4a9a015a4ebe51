"""The data side of benchmarks/vs_transformer.py: the training folder with one source left out, the scored test set
(in-domain test pairs plus the left-out source's pairs), per-source scores and the FLOPs per target token."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from common import first_per_source
from flops import train_flops_per_target_token
from vs_joeynmt_peer import _read_lines
from vs_joeynmt_wordbridge import ensure_prepared, score


@dataclasses.dataclass
class TestSet:
    """Raw test sources, references and the source corpus of each; `left_out` names the source no model saw."""

    src: list[str]
    refs: list[str]
    sources: list[str]
    left_out: str | None = None

    def groups(self) -> dict[str, list[int]]:
        """Source name -> indices, in order of first appearance."""
        out: dict[str, list[int]] = {}
        for i, name in enumerate(self.sources):
            out.setdefault(name, []).append(i)
        return out

    def in_domain(self) -> list[int]:
        return [i for i, name in enumerate(self.sources) if name != self.left_out]


def _test_split(prepared: Path) -> tuple[list[str], list[str], list[str]]:
    src, refs = _read_lines(prepared / "test.src.txt"), _read_lines(prepared / "test.tgt.txt")
    path = prepared / "test.source.txt"
    sources = _read_lines(path) if path.is_file() else ["all"] * len(src)
    return src, refs, sources


def training_prepared(full: Path, config: Path, overrides: list[str], leave_out: str | None, work: Path,
                      threads: int) -> Path:
    """The prepared folder the models train on: `full` itself, or the same corpus without `leave_out` (prepared
    into WORK/prepared-without-SOURCE with `wordbridge prepare --set data.sources=[...]`). The split is a hash of
    each pair, so the other sources' test pairs are the same in both folders."""
    if leave_out is None:
        return full
    from wordbridge.text.named_corpora import DEFAULT_SOURCES

    stats = json.loads((full / "stats.json").read_text(encoding="utf-8"))
    present = list(stats.get("sources") or {})
    if leave_out not in present:
        raise RuntimeError(f"--leave-out {leave_out}: not a source of {full} (its sources: {', '.join(present)})")
    kept = [name for name in DEFAULT_SOURCES if name in present and name != leave_out]
    sets = [*overrides, f"data.sources=[{','.join(kept)}]", f"data.out={work / f'prepared-without-{leave_out}'}"]
    return ensure_prepared(None, config, sets, work, threads)


def select_test(train_prep: Path, full: Path, per_source: int, leave_out: str | None, ood_n: int) -> TestSet:
    """The first per_source test pairs of each source of the training folder (0: all; the split lists pairs in
    corpus order, so a plain first-N cut would hold one source), then the first ood_n test pairs of the left-out
    source from the full folder (every pair of that source is unseen; its test pairs are a convenient sample)."""
    src, refs, sources = _test_split(train_prep)
    keep = first_per_source(sources, per_source)
    test = TestSet([src[i] for i in keep], [refs[i] for i in keep], [sources[i] for i in keep], leave_out)
    if leave_out is not None:
        f_src, f_refs, f_sources = _test_split(full)
        picked = [i for i, name in enumerate(f_sources) if name == leave_out][:ood_n]
        if not picked:
            raise RuntimeError(f"{full} has no test pairs from {leave_out}")
        test.src += [f_src[i] for i in picked]
        test.refs += [f_refs[i] for i in picked]
        test.sources += [leave_out] * len(picked)
    return test


def scores_of(hyps: list[str], test: TestSet, lowercase: bool) -> dict[str, tuple[float, float, int]]:
    """(BLEU, chrF, sentences) in-domain ("all"), per source, and for the left-out source."""
    out = {}
    keep = test.in_domain()
    out["all"] = (*score([hyps[i] for i in keep], [test.refs[i] for i in keep], lowercase), len(keep))
    for name, idx in test.groups().items():
        out[name] = (*score([hyps[i] for i in idx], [test.refs[i] for i in idx], lowercase), len(idx))
    return out


def flops_per_target_token(config: Path, prepared: Path, overrides: list[str]) -> float:
    """Training FLOPs per target token of the config's model on the prepared folder's training split."""
    from wordbridge.config import load_sections
    from wordbridge.text.ragged import load_ragged
    from wordbridge.translate.config import ModelConfig

    cfg = load_sections(config, {"model": ModelConfig}, overrides=[s for s in overrides if s.startswith("model.")])
    mean_src = float(load_ragged(prepared / "train.src").lengths.mean())
    mean_tgt = float(load_ragged(prepared / "train.tgt").lengths.mean())
    vocab = len(json.loads((prepared / "vocab.tgt.json").read_text(encoding="utf-8"))["itos"])
    return train_flops_per_target_token(cfg["model"], mean_src / mean_tgt, vocab, mean_src, mean_tgt)

