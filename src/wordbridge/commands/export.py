"""`wordbridge export RUN_DIR --format ctranslate2 [--quantization int8|int16|float32] [--out DIR] [--overwrite]`."""

import argparse

from wordbridge.commands import SUMMARIES
from wordbridge.translate.config import CT2_SUBDIR, QUANTIZATIONS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "export", help=SUMMARIES["export"],
        description="Convert a trained model.arch=transformer run into a CTranslate2 model folder (with its "
                    "vocabularies and tokenizer files), written atomically. `translate`, `evaluate` and `serve` "
                    "decode with it when given the folder (or --engine ctranslate2). GRU runs cannot be exported: "
                    "CTranslate2 has no RNN decoder.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a `wordbridge train` run folder (model.arch: transformer)")
    p.add_argument("--format", default="ctranslate2", choices=("ctranslate2",), help="export format")
    p.add_argument("--quantization", default="int8", choices=QUANTIZATIONS,
                   help="weight type: int8 (default: ~4x smaller, fastest on CPU), int16, or float32 (exact)")
    p.add_argument("--out", metavar="DIR", help=f"export folder (default RUN_DIR/{CT2_SUBDIR})")
    p.add_argument("--overwrite", action="store_true", help="replace an existing export folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wordbridge.translate.ct2_export import export_run  # deferred: torch loads only when a run is exported

    out = export_run(args.run_dir, args.out, quantization=args.quantization, overwrite=args.overwrite)
    print(f"CTranslate2 model ({args.quantization}) written to {out}")
    return 0
