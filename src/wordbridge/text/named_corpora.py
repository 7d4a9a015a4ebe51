"""Named corpora: each offline source (a fetched asset) as a stream of (french, english) pairs, and `default`, their
deduplicated union.

Each corpus has a `group`: "technical" (the ten original sources, game help, Debian package descriptions) or
"everyday" (dialogue, narration and everyday names: text/everyday_corpora.py); `default` itself is "mixed".

`default` reads DEFAULT_SOURCES in order (a pair seen in an earlier source is a duplicate in a later one); sources
that are not fetched are left out with one warning line. `open_sources` hands the pipeline one stream per source so
that it can count, cap and remember each pair's source; `open_corpus` gives one stream (the Python API and tests).
Readers call `on_skip(file, why)` for input they cannot use (one warning line each) and go on.
"""

import dataclasses
import inspect
import logging
from pathlib import Path
from typing import Callable, Iterable, Iterator

from wordbridge import asset_paths
from wordbridge.errors import AssetError, ConfigError, choices_hint
from wordbridge.text import corpora, everyday_corpora, freedict, html_blocks, manpages, mozilla
from wordbridge.text.corpora import dedup, read_gettext, read_tsv
from wordbridge.text.help_pages import Pair
from wordbridge.text.skips import OnSkip, warn_skip

log = logging.getLogger(__name__)

Stream = tuple[str, Iterator[Pair]]  # (source name, its pairs)


@dataclasses.dataclass(frozen=True)
class Corpus:
    name: str
    description: str
    open: Callable[..., Iterator[Pair]]  # open(**options, on_skip=...) -> pairs (raises AssetError when not fetched)
    group: str = "technical"  # "technical", "everyday" (or "mixed" for default): what source weighting groups by


def bible_corpus(english: str = "4", french: str = "l", on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    return corpora.read_bible(asset_paths.path("bible") / "bible.db", english=english, french=french)


def _help_pairs(root: Path, on_skip: OnSkip) -> Iterator[Pair]:
    # the asset step caches the paired paragraphs as TSV (parsing 5k HTML pages takes ~20 s)
    return read_tsv(root / corpora.HELP_PAIRS) if (root / corpora.HELP_PAIRS).is_file() else corpora.read_help(root)


def _asset_corpus(asset: str, reader: Callable[[Path, OnSkip], Iterator[Pair]]) -> Callable[..., Iterator[Pair]]:
    def opener(on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
        return reader(asset_paths.path(asset), on_skip)

    return opener


_SOURCES = (
    Corpus("bible", "Bible verses, English x French version (default WEB x Louis Segond 1910)", bible_corpus),
    Corpus("libreoffice-help", "LibreOffice help paragraphs paired by id (technical prose)",
           _asset_corpus("libreoffice-help", _help_pairs)),
    Corpus("libreoffice-ui", "LibreOffice UI strings (short)",
           _asset_corpus("libreoffice-ui", lambda root, _: read_gettext(root / "fr"))),
    Corpus("firefox", "Firefox UI strings, Fluent + .properties, paired by message id",
           _asset_corpus("firefox", lambda root, skip: mozilla.read_mozilla(root, on_skip=skip))),
    Corpus("thunderbird", "Thunderbird UI strings, Fluent + .properties + .dtd, paired by message id",
           _asset_corpus("thunderbird", lambda root, skip: mozilla.read_mozilla(root, on_skip=skip))),
    Corpus("gimp-help", "GIMP help paragraphs, paired by position in shared sections",
           _asset_corpus("gimp-help", lambda root, skip: html_blocks.read_manual(root, on_skip=skip))),
    Corpus("debian-reference", "Debian Reference paragraphs, paired by position in shared sections",
           _asset_corpus("debian-reference", lambda root, skip: html_blocks.read_manual(root, on_skip=skip))),
    Corpus("gettext-apps", "UI strings of 9 applications (GIMP, Inkscape, VLC, KDevelop, GNOME...)",
           _asset_corpus("gettext-apps", lambda root, _: read_gettext(root))),
    Corpus("manpages", "Linux man page paragraphs (rendered with groff when fetched)",
           _asset_corpus("manpages", lambda root, _: read_tsv(root / manpages.PAIRS))),
    Corpus("freedict", "FreeDict dictionary words and phrases, both directions",
           _asset_corpus("freedict", lambda root, _: freedict.read_freedict(root))),
    *(Corpus(s.name, s.description, _asset_corpus(s.asset, s.read), s.group) for s in everyday_corpora.SOURCES),
)
DEFAULT_SOURCES: tuple[str, ...] = tuple(c.name for c in _SOURCES)


def open_sources(sources: Iterable[str] | None = None, english: str = "4", french: str = "l",
                 on_skip_for: Callable[[str], OnSkip] | None = None) -> list[Stream]:
    """The parts of `default` (all of DEFAULT_SOURCES, or the named ones) that are fetched, one stream each.

    Missing assets: one warning line naming the `wordbridge fetch` to run; AssetError when none is fetched.
    """
    names = list(sources) if sources is not None else list(DEFAULT_SOURCES)
    unknown = [n for n in names if n not in DEFAULT_SOURCES]
    if unknown or not names:
        raise ConfigError(f"Unknown source {choices_hint(unknown[0] if unknown else '', DEFAULT_SOURCES)}")
    streams, missing = [], []
    for name in names:
        on_skip = on_skip_for(name) if on_skip_for else warn_skip
        options = {"english": english, "french": french} if name == "bible" else {}
        try:
            streams.append((name, CORPORA[name].open(on_skip=on_skip, **options)))
        except AssetError:
            missing.append(name)
    if not streams:
        raise AssetError(f"corpus 'default': none of its sources is fetched; run `wordbridge fetch {' '.join(names)}`")
    if missing:
        log.warning("warning: corpus 'default': %s not fetched, going on without (run `wordbridge fetch %s`)",
                    ", ".join(missing), " ".join(missing))
    return streams


def default_corpus(english: str = "4", french: str = "l", dedup_pairs: bool = True, sources: list[str] | None = None,
                   on_skip: OnSkip = warn_skip) -> Iterator[Pair]:
    """Every source of DEFAULT_SOURCES that is fetched (or the named `sources`), in order, deduplicated."""
    streams = open_sources(sources, english, french, lambda _: on_skip)
    pairs = (pair for _, stream in streams for pair in stream)
    return dedup(pairs) if dedup_pairs else pairs


CORPORA: dict[str, Corpus] = {c.name: c for c in (
    Corpus("default", "every source below but django and ddtp, in this order, deduplicated", default_corpus, "mixed"),
    *_SOURCES,
    Corpus("django", "Django's French catalogs (tiny; `wordbridge fetch django`)",
           _asset_corpus("django", lambda root, _: read_gettext(root / "fr"))),
    Corpus("ddtp", everyday_corpora.DDTP.description + " (50k technical pairs; `wordbridge fetch ddtp`)",
           _asset_corpus("ddtp", everyday_corpora.DDTP.read)),
)}


def _by_suffix(path: Path) -> Callable[..., Iterator[Pair]]:
    if path.suffix in (".po", ".mo") or (path.is_dir() and not (path / "en-US").is_dir()):
        return corpora.read_gettext
    if path.suffix in (".db", ".sqlite"):
        return corpora.read_bible
    if path.is_dir():
        return corpora.read_help
    return corpora.read_tsv


def open_corpus(name: str, dedup_pairs: bool = True, **options) -> Iterator[Pair]:
    """A named corpus (see CORPORA) or a file path (.tsv/.txt, .po/.mo, .db, help folder) -> (french, english).

    Options go to the corpus (e.g. english="k", french="o"; on_skip=fn); dedup_pairs=False keeps repeated pairs.
    Unknown names or options raise ConfigError listing the valid ones; a missing asset raises AssetError naming the
    `wordbridge fetch` to run.
    """
    if name in CORPORA:
        opener, what = CORPORA[name].open, f"corpus '{name}'"
        args: tuple = ()
    elif Path(name).exists():
        opener, what, args = _by_suffix(Path(name)), name, (Path(name),)
    else:
        raise ConfigError(f"Unknown corpus {choices_hint(name, CORPORA)} (or give an existing file)")
    params = inspect.signature(opener).parameters
    valid = ["dedup_pairs"] + [p for p in params if p not in ("path", "db", "root", "on_skip", "dedup_pairs")]
    unknown = [k for k in options if k not in valid and k != "on_skip"]
    if unknown:
        raise ConfigError(f"Unknown option for {what} {choices_hint(unknown[0], valid)}")
    if "on_skip" in options and "on_skip" not in params:
        options.pop("on_skip")
    if "dedup_pairs" in params:
        options["dedup_pairs"] = False  # deduplicated once, below
    pairs = opener(*args, **options)
    return corpora.nonempty(dedup(pairs) if dedup_pairs else pairs, what)
