"""`wordbridge translate RUN_DIR ["TEXT" | -] [-i FILE] [-o FILE] [--beam N] [--[no-]int8] [--json] [--confidence]
[--with-source] [--direction fr-en|en-fr] [--plot-attention PNG]`.

With no TEXT and no -i (or TEXT `-`), reads stdin line by line (one translation per line as you type). A paragraph
longer than the model takes is translated sentence by sentence and joined back.
"""

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path

from wordbridge import defaults, progress
from wordbridge.atomic import write_text
from wordbridge.commands import SUMMARIES
from wordbridge.errors import DataError
from wordbridge.text import direction
from wordbridge.text.lines import check_line_lengths, read_lines

log = logging.getLogger(__name__)
CHUNK = 64  # lines of -i FILE decoded together (the Translator's batch size) between two progress updates


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "translate", help=SUMMARIES["translate"],
        description="Translate TEXT, the lines of -i FILE, or stdin (TEXT `-`, or no TEXT) line by line. Empty "
                    "lines give empty lines; a long paragraph is split into sentences and joined back.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR",
                   help="a `wordbridge train` run folder, or a `wordbridge export` folder")
    p.add_argument("text", nargs="?", metavar="TEXT", help="sentence to translate; `-` reads stdin")
    p.add_argument("-i", "--input", metavar="FILE", help="file of sentences, one per line (UTF-8)")
    p.add_argument("-o", "--output", metavar="FILE", help="write translations here (default stdout)")
    p.add_argument("--beam", type=int, default=defaults.BEAM, metavar="N",
                   help=f"beam size (default {defaults.BEAM}; 1 = greedy)")
    p.add_argument("--engine", default="auto", choices=defaults.ENGINES,
                   help="decoding engine: torch (the run's checkpoint), ctranslate2 (a `wordbridge export` "
                        "folder, given as RUN_DIR or found in RUN_DIR/ctranslate2), auto (default: ctranslate2 "
                        "for an export folder, else torch)")
    p.add_argument("--plot-attention", metavar="PNG", help="save the attention heatmap of the first sentence")
    p.add_argument("--int8", action=argparse.BooleanOptionalAction, default=defaults.INT8,
                   help="decode with dynamic int8 weights on the CPU (~2x faster; default: on for a GRU on the CPU, "
                        "as `serve` does; --no-int8 keeps fp32)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing -o file")
    p.add_argument("--direction", choices=direction.DIRECTIONS, help="refuse a run that translates the other way "
                   "(a run's direction is data.direction when it was prepared; it is logged either way)")
    p.add_argument("--json", action="store_true", help="one JSON object per line: source, text, src_tokens, tokens "
                   "(and confidence)")
    p.add_argument("--confidence", action="store_true", help="add each translation's confidence: the multilingual "
                   "encoder's cosine of source and translation (~50 ms a sentence; a JSON field with --json, else a "
                   "tab-separated column)")
    p.add_argument("--with-source", action="store_true", help="print each source line, a tab, then its translation")
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    if args.beam < 1:
        raise DataError(f"Invalid --beam {args.beam}: must be >= 1.")
    if args.text is not None and args.input:
        raise DataError("Give TEXT or -i FILE, not both.")
    if args.output and Path(args.output).exists() and not args.overwrite:
        raise DataError(f"Output file {args.output} already exists; pass --overwrite to replace it.")
    if args.json and args.with_source:
        raise DataError("--json already holds the source: drop --with-source.")
    if args.text == "-" and (sys.stdin is None or sys.stdin.closed or progress.on_terminal(sys.stdin)):
        raise DataError("`-` reads French text from stdin, but nothing is piped in: e.g. `cat fr.txt | wordbridge "
                        "translate RUN -`, or give TEXT or -i FILE.")
    if args.text not in (None, "-"):
        check_line_lengths([args.text], defaults.MAX_LINE_CHARS, "TEXT")


def format_line(source: str, result, args: argparse.Namespace) -> str:
    """One output line: [source + tab] translation [+ tab + confidence], or a JSON object with --json (every field
    of the Translation but the attention; confidence only when computed)."""
    if args.json:
        fields = {k: v for k, v in dataclasses.asdict(result).items()
                  if k != "attention" and not (k == "confidence" and v is None)}
        return json.dumps({"source": source, **fields}, ensure_ascii=False) + "\n"
    confidence = getattr(result, "confidence", None)
    return ((f"{source}\t" if args.with_source else "") + result.text
            + (f"\t{confidence:.4f}" if confidence is not None else "") + "\n")


def _translate(tr, lines: list[str], args: argparse.Namespace, attention: bool) -> list:
    results = tr.translate(lines, beam=args.beam, attention=attention)
    if args.confidence:
        from wordbridge.translate.confidence import with_confidence  # deferred: the encoder loads only when asked

        results = with_confidence(lines, results)
    return results


def run(args: argparse.Namespace) -> int:
    _check(args)
    lines = read_lines(args.input, defaults.MAX_LINE_CHARS) if args.input else None
    from wordbridge.translate.translator import Translator  # deferred: torch loads only when a model translates

    tr = Translator.load(args.run_dir, engine=args.engine, int8=args.int8)
    if args.direction and tr.direction != args.direction:
        raise DataError(f"{args.run_dir} translates {tr.direction}, not --direction {args.direction}.")
    log.info("%s translates %s", args.run_dir, tr.direction)
    want_attention = bool(args.plot_attention)
    if lines is None and args.text in (None, "-"):
        return _stream(tr, args)
    lines = [args.text] if lines is None else lines
    results = []
    with progress.bar(total=len(lines), desc="translating", unit=" lines", disable=len(lines) <= CHUNK) as bar:
        for start in range(0, len(lines), CHUNK):
            chunk = lines[start: start + CHUNK]
            results += _translate(tr, chunk, args, want_attention)
            bar.update(len(chunk))
    text = "".join(format_line(line, r, args) for line, r in zip(lines, results))
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
        for n, line in enumerate(sys.stdin, 1):
            line = line.rstrip("\n")
            check_line_lengths([line], defaults.MAX_LINE_CHARS, "stdin", start=n)
            result = _translate(tr, [line], args, bool(args.plot_attention))[0]
            first = first or (result if result.tokens else None)
            out.write(format_line(line, result, args))
            out.flush()
    except UnicodeDecodeError as exc:
        raise DataError(f"stdin is not UTF-8 text (byte {exc.start}).") from None
    finally:
        if out is not sys.stdout:
            out.close()
    if args.plot_attention and first is not None:
        _plot([first], args.plot_attention)
    return 0


def _plot(results, png: str) -> None:
    from wordbridge.translate.plots import plot_attention  # deferred: matplotlib loads only to plot

    first = next((r for r in results if r.tokens), None)
    if first is None or first.attention is None:
        log.warning("no attention to plot (empty input or a model without attention)")
        return
    plot_attention(first.src_tokens, first.tokens, first.attention, png)
    log.info("attention heatmap: %s", png)
