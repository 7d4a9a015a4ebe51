"""`wordbridge backtranslate REVERSE_RUN [--input FILE] --out DIR [--beam N | --sampling [--topk K]
[--temperature T]] [--chunk-lines N] [--max-chunks N] [--overwrite]`: a synthetic corpus for `prepare`."""

import argparse

from wordbridge import asset_paths
from wordbridge.errors import DataError
from wordbridge.text.extra_sources import SYNTHETIC_EN, SYNTHETIC_FR
from wordbridge.text.monolingual import EN_MONO_ASSET, EN_MONO_FILE
from wordbridge.translate.backtranslate import Decoding, backtranslate
from wordbridge.translate.decode import Sampling


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "backtranslate", help="English sentences -> machine French with an en-fr run: a synthetic training corpus",
        description="Translate English text with a reverse (en-fr) run and write OUT/synthetic.fr + "
                    "OUT/synthetic.en for `prepare` (data.extra_sources; docs/backtranslation.md). Resumable: run "
                    "the same command again after a kill and the finished chunks are kept.",
    )
    p.add_argument("run_dir", metavar="REVERSE_RUN", help="an en-fr `wordbridge train` run folder, or its export")
    p.add_argument("--input", metavar="FILE", help="English sentences, one per line (default: the fetched en-mono "
                   "asset, `wordbridge fetch en-mono`)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (resumed when it holds this job)")
    p.add_argument("--beam", type=int, default=1, metavar="N", help="beam size (1 = greedy; default)")
    p.add_argument("--sampling", action="store_true", help="sample each translation (top-k) instead of beam search")
    p.add_argument("--topk", type=int, default=10, metavar="K", help="sampling: the K most likely tokens (0: all)")
    p.add_argument("--temperature", type=float, default=1.0, metavar="T", help="sampling temperature (default 1)")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (chunk i uses seed + i)")
    p.add_argument("--chunk-lines", type=int, default=1000, metavar="N", help="sentences per resumable chunk")
    p.add_argument("--max-chunks", type=int, metavar="N", help="stop after N new chunks (run again to go on)")
    p.add_argument("--batch-size", type=int, default=64, metavar="N", help="sentences per decoding batch")
    p.add_argument("--engine", default="auto", choices=("auto", "torch", "ctranslate2"),
                   help="auto (default): CTranslate2 when REVERSE_RUN is or holds an export, else torch (int8 for "
                        "a GRU on the CPU)")
    p.add_argument("--overwrite", action="store_true", help="replace an output folder holding another job")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.sampling and args.beam != 1:
        raise DataError("Give --sampling or --beam N, not both.")
    if args.sampling and (args.topk < 0 or args.temperature <= 0):
        raise DataError(f"Invalid sampling: need --topk >= 0 and --temperature > 0 (got {args.topk}, "
                        f"{args.temperature}).")
    sampling = Sampling(args.topk, args.temperature, args.seed) if args.sampling else None
    source = args.input or asset_paths.path(EN_MONO_ASSET) / EN_MONO_FILE
    result = backtranslate(args.run_dir, source, args.out, Decoding(args.beam, sampling), chunk_lines=args.chunk_lines,
                           max_chunks=args.max_chunks, batch_size=args.batch_size, engine=args.engine,
                           overwrite=args.overwrite)
    print(f"{result['done']}/{result['chunks']} chunks of {result['sentences']:,} sentences ({result['new']} new, "
          f"{result['seconds']:.1f} s, {result['engine']})")
    if result["finished"]:
        print(f"synthetic corpus: {args.out}/{SYNTHETIC_FR} + {args.out}/{SYNTHETIC_EN}; use it with "
              f"--set 'data.extra_sources=[{{path: {args.out}, name: backtranslated, tag: true}}]'")
    else:
        print("stopped early (--max-chunks): run the same command again to go on")
    return 0
