"""`wordbridge translate RUN_DIR ["TEXT"] [-i FILE] [-o FILE] [--beam N] [--int8] [--plot-attention PNG] [--json]
[--confidence] [--direction fr-en|en-fr]`.

With no TEXT and no -i, reads stdin line by line (interactive: one translation per line as you type).
"""

import argparse
import json
import logging
import sys
from pathlib import Path

from wordbridge.atomic import write_text
from wordbridge.errors import DataError
from wordbridge.text import direction
from wordbridge.translate.confidence import with_confidence
from wordbridge.translate.evaluation import read_lines
from wordbridge.translate.plots import plot_attention
from wordbridge.translate.translator import Translator

log = logging.getLogger(__name__)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "translate", help="translate French text with a trained run",
        description="Translate TEXT, the lines of -i FILE, or stdin line by line. Empty lines give empty lines.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR",
                   help="a `wordbridge train` run folder, or a `wordbridge export` folder")
    p.add_argument("text", nargs="?", metavar="TEXT", help="sentence to translate")
    p.add_argument("-i", "--input", metavar="FILE", help="file of sentences, one per line")
    p.add_argument("-o", "--output", metavar="FILE", help="write translations here (default stdout)")
    p.add_argument("--beam", type=int, default=1, metavar="N", help="beam size (1 = greedy)")
    p.add_argument("--engine", default="auto", choices=("auto", "torch", "ctranslate2"),
                   help="decoding engine: torch (the run's checkpoint), ctranslate2 (a `wordbridge export` "
                        "folder, given as RUN_DIR or found in RUN_DIR/ctranslate2), auto (default: ctranslate2 "
                        "for an export folder, else torch)")
    p.add_argument("--plot-attention", metavar="PNG", help="save the attention heatmap of the first sentence")
    p.add_argument("--int8", action="store_true",
                   help="decode with dynamic int8 weights on the CPU (~2x faster; see the README for the BLEU change)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    p.add_argument("--direction", choices=direction.DIRECTIONS, help="refuse a run that translates the other way "
                   "(a run's direction is data.direction when it was prepared; it is logged either way)")
    p.add_argument("--json", action="store_true", help="one JSON object per line: source, text (and confidence)")
    p.add_argument("--confidence", action="store_true", help="add each translation's confidence: the multilingual "
                   "encoder's cosine of source and translation (~50 ms a sentence; a JSON field with --json, else a "
                   "tab-separated column)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.beam < 1:
        raise DataError(f"Invalid --beam {args.beam}: must be >= 1.")
    if args.text is not None and args.input:
        raise DataError("Give TEXT or -i FILE, not both.")
    if args.output and Path(args.output).exists() and not args.overwrite:
        raise DataError(f"Output file {args.output} already exists; pass --overwrite to replace it.")
    tr = Translator.load(args.run_dir, engine=args.engine, int8=args.int8)
    if args.direction and tr.direction != args.direction:
        raise DataError(f"{args.run_dir} translates {tr.direction}, not --direction {args.direction}.")
    log.info("%s translates %s", args.run_dir, tr.direction)
    want_attention = bool(args.plot_attention)
    if args.text is None and not args.input:
        return _stream(tr, args)
    lines = [args.text] if args.text is not None else read_lines(args.input)
    results = tr.translate(lines, beam=args.beam, attention=want_attention)
    if args.confidence:
        results = with_confidence(lines, results)
    text = "".join(_line(src, r, args.json) + "\n" for src, r in zip(lines, results))
    if args.output:
        write_text(args.output, text)
    else:
        sys.stdout.write(text)
    if want_attention:
        _plot(results, args.plot_attention)
    return 0


def _stream(tr, args) -> int:
    """stdin line by line: each translation is printed (and flushed) as soon as its line is read."""
    out = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    first = None
    try:
        for line in sys.stdin:
            source = line.rstrip("\n")
            result = tr.translate([source], beam=args.beam, attention=bool(args.plot_attention))[0]
            if args.confidence:
                result = with_confidence([source], [result])[0]
            first = first or (result if result.tokens else None)
            out.write(_line(source, result, args.json) + "\n")
            out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    if args.plot_attention and first is not None:
        _plot([first], args.plot_attention)
    return 0


def _line(source: str, result, as_json: bool) -> str:
    """One output line: the translation (+ a tab and the confidence), or a JSON object with --json."""
    if as_json:
        fields = {"source": source, "text": result.text}
        if result.confidence is not None:
            fields["confidence"] = result.confidence
        return json.dumps(fields, ensure_ascii=False)
    return result.text + (f"\t{result.confidence:.4f}" if result.confidence is not None else "")


def _plot(results, png: str) -> None:
    first = next((r for r in results if r.tokens), None)
    if first is None or first.attention is None:
        log.warning("no attention to plot (empty input or a model without attention)")
        return
    plot_attention(first.src_tokens, first.tokens, first.attention, png)
    log.info("attention heatmap: %s", png)
