"""`wordbridge distill TEACHER_RUN --config CONFIG --out DIR [--prepared DIR] [--beam N] [--overwrite]`."""

import argparse
from pathlib import Path

from wordbridge.config import load_sections
from wordbridge.text.config import PrepareConfig
from wordbridge.translate.distill import distill, parts_dir


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "distill", help="sequence-level knowledge distillation: a teacher's translations as new training targets",
        description="Translate the training sources of a prepared folder (the config's data.out, or --prepared) "
                    "with a trained teacher (its CTranslate2 export when it has one) and write a copy of the "
                    "folder whose training targets are the teacher's outputs (valid/test unchanged); then train "
                    "the student on it with --set data.out=DIR. Resumable: a killed run continues where it "
                    "stopped when started again with the same arguments.",
    )
    p.add_argument("teacher", metavar="TEACHER_RUN", help="a `wordbridge train` run folder (or its export)")
    p.add_argument("--config", required=True, metavar="CONFIG", help="the student's YAML config (its data.out "
                   "is the prepared folder to distill), e.g. configs/default.yaml")
    p.add_argument("--out", required=True, metavar="DIR", help="the new prepared folder")
    p.add_argument("--prepared", metavar="DIR", help="prepared folder to distill (default: the config's data.out)")
    p.add_argument("--beam", type=int, default=5, metavar="N", help="teacher's beam size (default 5, Kim & Rush)")
    p.add_argument("--chunk", type=int, default=1024, metavar="N",
                   help="sentences per saved chunk (what a killed run can lose; default 1024)")
    p.add_argument("--device", default=None, help="torch device of a torch teacher (default: cuda if available)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set data.out=runs/prepared/default (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    prepared = args.prepared or load_sections(args.config, {"data": PrepareConfig}, overrides=args.set)["data"].out
    report = distill(args.teacher, prepared, args.out, beam=args.beam, chunk_size=args.chunk, device=args.device,
                     overwrite=args.overwrite)
    print(f"{report['sentences']:,} training targets from {args.teacher} ({report['engine']}, beam {args.beam}; "
          f"{report['changed']:,} differ from the references) written to {args.out}")
    print(f"train the student on them: wordbridge train {args.config} --set data.out={args.out}")
    if parts_dir(Path(args.out)).exists():
        print(f"(the chunk folder {parts_dir(Path(args.out))} could not be removed)")
    return 0
