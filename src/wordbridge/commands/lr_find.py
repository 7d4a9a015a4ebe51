"""`wordbridge lr-find [CONFIG] [--data DIR] [--png FILE] [--steps N] [--set k=v ...]`: exponential LR sweep, weights
restored."""

import argparse
import os

from wordbridge.commands import SUMMARIES
from wordbridge.commands.train import add_config_arguments, load
from wordbridge.errors import ConfigError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "lr-find", help=SUMMARIES["lr-find"],
        description="Sweep the learning rate exponentially over a few batches (smoothed loss, stops on divergence); "
                    "the model is left untouched.",
    )
    add_config_arguments(p)
    p.add_argument("--png", metavar="FILE", default="lr_find.png", help="plot file (default: lr_find.png)")
    p.add_argument("--steps", type=int, default=100, metavar="N", help="batches in the sweep (default 100)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from wordbridge.translate.training import find_lr  # deferred: torch loads only when the sweep runs

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError("lr-find runs in one process; start it without torchrun.")
    result = find_lr(load(args), args.png, num_steps=args.steps)
    print(f"suggested lr {result.suggestion:.2e} (steepest descent); min loss lr / 10 = {result.min_div10:.2e}")
    print(f"plot: {args.png}")
    return 0
