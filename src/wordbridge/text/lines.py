"""Reading a text file of one sentence per line (translate -i, evaluate --src/--ref), with one-line errors for what
is not such a file: a folder, a missing file, bytes that are not UTF-8, a line longer than a limit."""

from pathlib import Path

from wordbridge.errors import DataError


def check_line_lengths(lines: list[str], max_chars: int | None, where: str, start: int = 1) -> None:
    """DataError naming the first line over `max_chars` characters (None: no limit); lines count from `start`."""
    if max_chars is None:
        return
    for n, line in enumerate(lines, start):
        if len(line) > max_chars:
            raise DataError(f"{where} line {n} has {len(line):,} characters (at most {max_chars:,}): split it "
                            "into lines of a paragraph or less.")


def read_lines(path: str | Path, max_chars: int | None = None) -> list[str]:
    """The lines of a UTF-8 file, without their newlines (a last empty line is not one)."""
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder: give a text file with one sentence per line.")
    if not path.is_file():
        raise DataError(f"File {path} does not exist.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(f"{path} is not UTF-8 text (line {line}, byte {exc.start}); convert it, e.g. `iconv -f latin1 "
                        "-t utf-8`.") from None
    lines = text.split("\n")
    lines = lines[:-1] if lines and lines[-1] == "" else lines
    check_line_lengths(lines, max_chars, str(path))
    return lines
