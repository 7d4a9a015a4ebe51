"""`wordbridge train [CONFIG] [--data DIR] [--run-dir DIR] [--overwrite] [--resume] [--max-minutes M]
[--set k=v ...]`. CONFIG defaults to the packaged `default` (configs/default.yaml)."""

import argparse
import dataclasses
import os

from wordbridge import defaults
from wordbridge.commands import SUMMARIES
from wordbridge.config import load_sections, packaged_configs
from wordbridge.text.config import PrepareConfig
from wordbridge.translate.config import ModelConfig, TranslateTrainConfig


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """CONFIG, --data and --set: shared by `train` and `lr-find`."""
    p.add_argument("config", nargs="?", default=defaults.CONFIG, metavar="CONFIG",
                   help=f"YAML config (data:, model:, train: sections) or a packaged one by name "
                        f"({', '.join(packaged_configs())}; default: {defaults.CONFIG})")
    p.add_argument("--data", metavar="DIR", help=f"prepared data folder from `wordbridge prepare` (default: data.out "
                   f"of the config, {defaults.PREPARED_DIR})")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set train.lr=0.003 (repeatable)")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help=SUMMARIES["train"],
        description="Train the seq2seq model described by the config's model: and train: sections on the prepared "
                    "folder (--data DIR, else data.out). Ctrl-C saves latest.pt and stops; --resume continues.",
    )
    add_config_arguments(p)
    p.add_argument("--run-dir", metavar="DIR", help=f"run folder (default: train.run_dir, "
                   f"{TranslateTrainConfig().run_dir})")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    p.add_argument("--resume", action="store_true", help="continue from RUN_DIR/latest.pt")
    p.add_argument("--max-minutes", type=float, metavar="M", help="wall-clock budget (overrides train.max_minutes)")
    p.set_defaults(func=run)


def load(args: argparse.Namespace) -> dict:
    sections = load_sections(args.config, {"data": PrepareConfig, "model": ModelConfig,
                                           "train": TranslateTrainConfig}, overrides=args.set)
    if getattr(args, "data", None) is not None:
        sections["data"] = dataclasses.replace(sections["data"], out=args.data)
    if getattr(args, "max_minutes", None) is not None:
        sections["train"] = dataclasses.replace(sections["train"], max_minutes=args.max_minutes)
    return sections


def run(args: argparse.Namespace) -> int:
    from wordbridge.train import distributed  # deferred: torch loads only when a command trains
    from wordbridge.translate.training import train  # deferred: torch loads only when a command trains

    sections = load(args)
    run_dir = args.run_dir or sections["train"].run_dir
    try:
        result = train(sections, run_dir, overwrite=args.overwrite, resume=args.resume)
        distributed.cleanup(wait=True)  # under torchrun: every rank is done before any tears its group down
    finally:
        distributed.cleanup()
    if int(os.environ.get("RANK", "0")) != 0:  # under torchrun only rank 0 reports
        return 130 if result.stop_reason == "interrupted" else 0
    metrics = ", ".join(f"{k} {v:.4g}" for k, v in result.metrics.items() if isinstance(v, float))
    print(f"stopped ({result.stop_reason}) at step {result.step}, epoch {result.epoch}: {metrics}")
    print(f"run folder: {run_dir}")
    return 130 if result.stop_reason == "interrupted" else 0
