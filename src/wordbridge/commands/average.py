"""`wordbridge average RUN_DIR --last N [--out DIR] [--overwrite]`: checkpoint averaging into a new run folder."""

import argparse

from wordbridge.translate.averaging import average_run


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "average", help="mean of a run's last N saved weights as a new run folder (checkpoint averaging)",
        description="Average the weights of the last N checkpoints a run kept in RUN_DIR/checkpoints/ (train with "
                    "train.keep_checkpoints >= N) and write them as best.pt of a new run folder, with the run's "
                    "config, vocabularies and tokenizer files: `wordbridge evaluate OUT --split valid` measures it.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="a `wordbridge train` run folder")
    p.add_argument("--last", type=int, required=True, metavar="N", help="how many of the newest checkpoints")
    p.add_argument("--out", metavar="DIR", help="new run folder (default RUN_DIR-avgN beside RUN_DIR)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = average_run(args.run_dir, args.last, args.out, overwrite=args.overwrite)
    print(f"mean of the last {args.last} checkpoints of {args.run_dir} written to {out}/best.pt")
    return 0
