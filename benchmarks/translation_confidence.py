"""Is the translation confidence (translate/confidence.py) worth showing? Its Spearman correlation with
sentence-level chrF against references, for one or more systems on the same aligned test pairs.

    python benchmarks/translation_confidence.py --src test.fr --ref test.en [--run RUN_DIR ...] [--word-by-word]

Systems: each --run (a `wordbridge train` run folder, greedy decoding) and, with --word-by-word, a crude dictionary
translator (each French word -> its first FreeDict English sense, unknown words kept): a system whose quality
varies a lot from sentence to sentence, so the correlation has something to rank. Prints one markdown row per
system: sentences, empty translations, mean sentence chrF, mean confidence, Spearman(confidence, chrF) over all
sentences and over non-empty translations only, share flagged low and the mean chrF of flagged vs unflagged ones.
"""

import argparse
import re
import sys
from typing import Callable

import numpy as np

from wordbridge import asset_paths
from wordbridge.text.freedict import read_freedict
from wordbridge.translate.confidence import LOW_CONFIDENCE, confidence_report
from wordbridge.translate.evaluation import read_lines
from wordbridge.translate.metrics import sentence_chrf

_WORDS = re.compile(r"\w+|[^\w\s]")


def word_by_word() -> Callable[[list[str]], list[str]]:
    table: dict[str, str] = {}
    for french, english in read_freedict(asset_paths.path("freedict")):
        if " " not in french.strip():
            table.setdefault(french.strip().lower(), english.strip())
    return lambda lines: [" ".join(table.get(w.lower(), w) for w in _WORDS.findall(line)) for line in lines]


def run_translator(run_dir: str) -> Callable[[list[str]], list[str]]:
    from wordbridge.translate.translator import Translator  # only with --run: loads the NMT model

    translator = Translator.load(run_dir)
    return lambda lines: [t.text for t in translator.translate(lines)]


def row(name: str, src: list[str], ref: list[str], hyps: list[str]) -> str:
    report = confidence_report(src, hyps, ref)
    scores, chrf = np.array(report["per_sentence"]), np.array(sentence_chrf(hyps, ref))
    low = scores < LOW_CONFIDENCE
    flagged = f"{chrf[low].mean():.1f} / {chrf[~low].mean():.1f}" if low.any() and (~low).any() else "-"
    return (f"| {name} | {len(src)} | {sum(not h.strip() for h in hyps)} | {chrf.mean():.1f} | {scores.mean():.3f} | "
            f"{report['spearman_chrf']:.3f} | {report['spearman_chrf_nonempty']:.3f} | {100 * low.mean():.1f}% | "
            f"{flagged} |")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--run", action="append", default=[], help="a translation run folder (repeatable)")
    ap.add_argument("--word-by-word", action="store_true", help="add the FreeDict word-by-word system")
    args = ap.parse_args(argv)
    src, ref = read_lines(args.src), read_lines(args.ref)
    keep = [i for i in range(len(src)) if src[i].strip() and ref[i].strip()]
    src, ref = [src[i] for i in keep], [ref[i] for i in keep]
    systems = [(f"run {r}", run_translator(r)) for r in args.run]
    if args.word_by_word:
        systems.append(("FreeDict word by word", word_by_word()))
    print(f"| system | sentences | empty | mean chrF | mean confidence | Spearman(confidence, chrF) | same, non-empty "
          f"only | below {LOW_CONFIDENCE} | chrF flagged / not |\n|:--|--:|--:|--:|--:|--:|--:|--:|--:|")
    for name, translate in systems:
        print(row(name, src, ref, translate(src)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
