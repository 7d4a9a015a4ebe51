"""`wordbridge evaluate RUN_DIR [--split test | --testset NAME | --src F --ref F] [--data DIR] [--beam N] [--int8]
[--json]`."""

import argparse
import json

from wordbridge import defaults
from wordbridge.commands import SUMMARIES
from wordbridge.errors import DataError
from wordbridge.text.prepared import SPLITS
from wordbridge.text.testsets import TESTSETS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "evaluate", help=SUMMARIES["evaluate"],
        description="Translate a split of the run's prepared data (or any aligned --src/--ref files) and score the "
                    "detokenised output against the raw references with sacrebleu: overall, and per source corpus "
                    "when the split remembers each pair's source (the default corpus mixes ten). BLEU/chrF are "
                    "case-sensitive (sacrebleu's default), the case-insensitive figures beside them.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR",
                   help="a `wordbridge train` run folder, or a `wordbridge export` folder")
    p.add_argument("--split", default="test", choices=SPLITS, help="prepared split (default test)")
    p.add_argument("--src", metavar="FILE", help="source sentences, one per line (with --ref)")
    p.add_argument("--ref", metavar="FILE", help="reference translations, aligned with --src")
    p.add_argument("--testset", metavar="NAME", choices=sorted(TESTSETS),
                   help="a named test-only set instead of a split: " + "; ".join(
                       f"{t.name}: {t.description}" for t in TESTSETS.values()))
    p.add_argument("--data", "--prepared", dest="prepared", metavar="DIR", help="score the split of another "
                   "prepared folder (e.g. a wider corpus) instead of the run's own")
    p.add_argument("--beam", type=int, default=defaults.BEAM, metavar="N",
                   help=f"beam size (default {defaults.BEAM}; 1 = greedy)")
    p.add_argument("--engine", default="auto", choices=defaults.ENGINES,
                   help="decoding engine: torch (the run's checkpoint), ctranslate2 (a `wordbridge export` "
                        "folder, given as RUN_DIR or found in RUN_DIR/ctranslate2), auto (default: ctranslate2 "
                        "for an export folder, else torch)")
    p.add_argument("--int8", action="store_true",
                   help="decode with dynamic int8 weights on the CPU (BLEU/chrF of the int8 decoder; the loss and "
                        "perplexity stay those of the float weights)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    p.add_argument("--confidence", action="store_true", help="also score each translation's confidence (the "
                   "multilingual encoder's source-translation cosine, ~50 ms a sentence) and its Spearman "
                   "correlation with sentence-level chrF; --json adds the per-sentence scores")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wordbridge.translate.evaluation import evaluate  # deferred: torch loads only when a model is scored

    if args.beam < 1:
        raise DataError(f"Invalid --beam {args.beam}: must be >= 1.")
    result = evaluate(args.run_dir, split=args.split, src_file=args.src, ref_file=args.ref, beam=args.beam,
                      engine=args.engine, prepared=args.prepared, int8=args.int8, testset=args.testset,
                      confidence=args.confidence)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{result['source']}: {result['sentences']} sentences, beam {result['beam']}"
              f"{', int8 decoding' if result['int8'] else ''}")
        print(f"BLEU {result['bleu']:.2f}  chrF {result['chrf']:.2f}  (uncased: BLEU {result['bleu_uncased']:.2f}  "
              f"chrF {result['chrf_uncased']:.2f})  loss {result['loss']:.4f}  ppl {result['ppl']:.2f}  "
              f"({result['seconds']:.1f} s decoding)")
        if result["by_source"]:
            print(source_table(result["by_source"]))
        if "confidence" in result:
            c = result["confidence"]
            print(f"confidence: mean {c['mean']:.3f}, below {c['threshold']:.2f}: {100 * c['low']:.1f}%, Spearman "
                  f"with sentence chrF {c['spearman_chrf']:.3f} ({c['spearman_chrf_nonempty']:.3f} over non-empty "
                  "translations)")
    return 0


def source_table(by_source: dict[str, dict]) -> str:
    """BLEU/chrF per source, case-sensitive then uncased, one row each."""
    width = max(len("source"), *(len(name) for name in by_source))
    rows = [f"{'source':<{width}}  {'sentences':>9}  {'BLEU':>6}  {'chrF':>6}  {'uncased BLEU':>12}  {'chrF':>6}"]
    rows += [f"{name:<{width}}  {s['sentences']:>9,}  {s['bleu']:>6.2f}  {s['chrf']:>6.2f}  "
             f"{s.get('bleu_uncased', float('nan')):>12.2f}  {s.get('chrf_uncased', float('nan')):>6.2f}"
             for name, s in by_source.items()]
    return "\n".join(rows)
