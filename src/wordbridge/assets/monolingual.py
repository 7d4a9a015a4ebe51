"""The `en-mono` asset: everyday English sentences for back-translation (docs/backtranslation.md).

WordNet's usage examples (the quoted examples of the glosses in the fetched `wordnet` asset) and the prose sentences
of Debian's `fortunes` (the inoffensive set: `fortunes-min` + `fortunes`; never `fortunes-off`), 4 to 30 words each,
deduplicated (text/monolingual.py `normalise`), with every sentence removed that is the English of a pair the
default corpus holds out (valid/test: the pipeline's pair hash with the default seed and fractions, over the fetched
sources, before filters: a superset) or the English of a Tux Paint stamp (an evaluation set). Writes en-mono.txt
(one sentence a line) and counts.json; the counts are printed. Without apt, WordNet alone is used.
"""

import logging
import tempfile
from pathlib import Path

from wordbridge import asset_paths
from wordbridge.assets import sources
from wordbridge.assets.registry import Asset, register
from wordbridge.atomic import write_json, write_text
from wordbridge.devise.data import parse_tuxpaint_txt
from wordbridge.errors import AssetError
from wordbridge.text import monolingual, named_corpora
from wordbridge.text.config import PrepareConfig
from wordbridge.text.monolingual import EN_MONO_ASSET, EN_MONO_FILE, normalise
from wordbridge.text.pipeline import pair_hash

log = logging.getLogger(__name__)

FORTUNE_DEBS = ("fortunes-min", "fortunes")
FORTUNE_DIR = "usr/share/games/fortunes"


def held_out_english(cfg: PrepareConfig = PrepareConfig()) -> tuple[set[str], dict[str, int]]:
    """Normalised English of the default corpus's valid/test pairs (fetched sources) and of Tux Paint's stamps."""
    keys: set[str] = set()
    counts = {"corpus_pairs": 0, "corpus_held_out": 0, "tuxpaint": 0}
    cut = cfg.valid_fraction + cfg.test_fraction
    try:
        streams = named_corpora.open_sources(None, on_skip_for=lambda _: lambda path, why: None)
    except AssetError as exc:
        log.warning("  warning: no corpus source fetched (%s): nothing of it to hold out", exc)
        streams = []
    for name, stream in streams:
        for fr, en in stream:
            counts["corpus_pairs"] += 1
            if pair_hash((fr, en), cfg.seed) < cut:
                keys.add(normalise(en))
                counts["corpus_held_out"] += 1
    if asset_paths.is_cached("tuxpaint-stamps"):
        for txt in sorted(asset_paths.path("tuxpaint-stamps").rglob("*.txt")):
            english, _ = parse_tuxpaint_txt(txt.read_text(encoding="utf-8", errors="replace"))
            if english:
                keys.add(normalise(english))
                counts["tuxpaint"] += 1
    return keys, counts


def fortunes() -> list[str]:
    """Prose sentences of Debian's inoffensive fortunes (empty, with one warning line, when apt cannot get them)."""
    with tempfile.TemporaryDirectory(prefix="wb-fortunes-") as tmp:
        try:
            sources.apt_download_extract(FORTUNE_DEBS, Path(tmp))
        except AssetError as exc:
            log.warning("  warning: no fortunes (%s); going on with WordNet alone", exc)
            return []
        return list(monolingual.fortune_sentences(Path(tmp) / FORTUNE_DIR))


def build_en_mono(out: Path) -> None:
    held, held_counts = held_out_english()
    parts = {"wordnet": list(monolingual.wordnet_examples(asset_paths.path("wordnet") / "dict")),
             "fortunes": fortunes()}
    seen: set[str] = set()
    kept, counts = [], {}
    for name, sentences in parts.items():
        part, counts[name] = monolingual.dedup_excluding(sentences, held, seen)
        kept += part
        log.info("  %-9s %7d sentences read, %6d duplicates, %5d held out, %6d kept", name, counts[name]["read"],
                 counts[name]["duplicates"], counts[name]["held_out"], counts[name]["kept"])
    if not kept:
        raise AssetError("en-mono: no English sentence left")
    write_text(out / EN_MONO_FILE, "".join(s + "\n" for s in kept))
    source = "WordNet 3.0 glosses + Debian " + ", ".join(FORTUNE_DEBS)
    write_json(out / "counts.json", {"sentences": len(kept), "parts": counts, "held_out_keys": len(held),
                                     **held_counts, "source": source})
    log.info("  %d English sentences (held out: %d English sentences of the corpus's valid/test pairs and Tux Paint)",
             len(kept), len(held))


register(Asset(EN_MONO_ASSET, "English sentences for back-translation: WordNet examples + Debian fortunes, minus the "
               "held-out English", build_en_mono, requires=("wordnet",)))
