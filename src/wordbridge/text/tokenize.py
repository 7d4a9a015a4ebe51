"""Tokenisers: spaCy rule-based (`spacy.blank("en")`, `spacy.blank("fr")`) or sentencepiece trained on the corpus.

Both offer `.tokenize(text)`, `.tokenize_many(texts, processes=N)` (the lesson's proc_all_mp: the texts are sharded
over this process and N-1 forked workers) and `.detokenize(tokens)`. spaCy's tokenizer keeps whitespace on its Doc,
but ids keep nothing, so spaCy detokenisation is rule-based (text/detokenize.py: 96.8% of the default corpus's English
lines come back exactly, BLEU 99.8 against the originals).

Casing: both tokenizers keep case by default (data.lowercase: false), so a model writes "Where is the file?" and
detokenised text comes back with its capitals. With `lowercase=True` text is lowercased before tokenising and output
stays lowercase; `evaluate` reports case-sensitive BLEU/chrF with the uncased figures beside them, and
`capitalize(text)` (first letter and the pronoun "i" upper-cased) is offered for display only.

`tokenizer.json` in a prepared folder records kind, lowercase and languages; `load_tokenizers(dir)` rebuilds both.
"""

import bisect
import contextlib
import gc
import itertools
import json
import logging
import multiprocessing
from pathlib import Path
from typing import Iterable, Iterator, Literal, Protocol, Sequence, get_args

import numpy as np

from wordbridge.atomic import write_json
from wordbridge.text.detokenize import capitalize, detokenize

__all__ = ["KINDS", "SentencePieceTokenizer", "SpacyTokenizer", "Tokenizer", "capitalize", "detokenize", "gc_paused",
           "load_tokenizers", "make_spacy_tokenizers", "save_tokenizer_config"]
from wordbridge.errors import ConfigError, DataError, choices_hint

log = logging.getLogger(__name__)

TokenizerKind = Literal["spacy", "sentencepiece"]
KINDS: tuple[str, ...] = get_args(TokenizerKind)
_TOK_SEP = "\x1f"  # unit separator (whitespace to str.split, so never inside a token): ships tokens back
_BLOCK = 200_000  # texts split and put together at a time
_MIN_CHUNK = 2000  # texts per process, at least
_SIMPLE_MARKS = frozenset(",;:!?)")  # split off a plain word by spaCy in both languages
_MEMO_SIZE = 1_000_000  # whitespace-free pieces whose tokens are remembered


class Tokenizer(Protocol):
    lang: str
    lowercase: bool

    def tokenize(self, text: str) -> list[str]: ...

    def tokenize_many(self, texts: Sequence[str], processes: int = 1) -> list[list[str]]: ...

    def detokenize(self, tokens: Sequence[str]) -> str: ...


# ---------------------------------------------------------------------------------------------------------- spaCy
class SpacyTokenizer:
    """spaCy's rule-based tokenizer for `lang` (no model download); whitespace tokens are dropped.

    spaCy splits text on whitespace and tokenises each piece on its own, so each distinct piece is tokenised once,
    in bulk, and remembered (a bounded memo): on a corpus most pieces repeat, which makes this several times faster
    than running spaCy on every sentence, with the same tokens (checked on the default corpus).
    """

    kind = "spacy"

    def __init__(self, lang: str = "en", lowercase: bool = False):
        self.lang, self.lowercase = lang, lowercase
        self._tok = None
        self._memo: dict[str, list[str]] = {}
        self._special: set[str] | None = None  # spaCy's special cases (tokenizer exceptions)

    def __getstate__(self) -> dict:
        return {"lang": self.lang, "lowercase": self.lowercase, "_tok": None, "_memo": {}, "_special": None}

    @property
    def spacy_tokenizer(self):
        if self._tok is None:
            import spacy

            try:
                self._tok = spacy.blank(self.lang).tokenizer
            except (ImportError, OSError, KeyError) as exc:
                raise ConfigError(f"spaCy has no tokenizer for language '{self.lang}': {exc}") from None
        return self._tok

    def _prep(self, text: str) -> str:
        return text.lower() if self.lowercase else text  # str.split() then drops all whitespace, \x1e \x1f too

    def tokenize(self, text: str) -> list[str]:
        return self.tokenize_many([text])[0]

    def tokenize_many(self, texts: Sequence[str], processes: int = 1) -> list[list[str]]:
        """Tokenise many texts, split over `processes` processes (this one and processes-1 workers: the lesson's
        proc_all_mp) when there are enough texts; each process keeps its own memo."""
        texts = list(texts)
        parallel = processes > 1 and len(texts) >= 2 * _MIN_CHUNK
        block = _BLOCK * processes if parallel else _BLOCK
        out: list[list[str]] = []
        with gc_paused():  # millions of small lists and no cycles: the cyclic GC would take ~30% of the time
            for b in range(0, len(texts), block):
                if len(self._memo) > _MEMO_SIZE:
                    self._memo = {}  # a new dict, not clear(): another thread may be reading the old one
                chunk = texts[b : b + block]
                out.extend(_pool_tokenize(self, chunk, processes) if parallel else self._tokenize_block(chunk))
        return out

    def _tokenize_block(self, texts: Sequence[str]) -> list[list[str]]:
        split = [self._prep(t).split() for t in texts]
        memo = self._memo
        new = self._plain_words([w for w in dict.fromkeys(itertools.chain.from_iterable(split)) if w not in memo], memo)
        memo.update(zip(new, _pieces(self.spacy_tokenizer, new)))
        return [[tok for w in words for tok in memo[w]] for words in split]

    def _plain_words(self, words: list[str], memo: dict[str, list[str]]) -> list[str]:
        """Memoise the pieces whose tokens are known without spaCy; return the others, which spaCy must see.

        Letters-only pieces that are no special case stay whole, and such a word followed by one of , ; : ! ? )
        splits in two (checked against spaCy for fr and en: all 609k letters-only strings of fr_core_news_md, and
        30k of them with each mark); ASCII digit strings stay whole."""
        special = self._special
        if special is None:
            special = self._special = set(self.spacy_tokenizer.rules or {})
        rest = []
        for w in words:
            if w in special:
                rest.append(w)
            elif w.isalpha() or (w.isdigit() and w.isascii()):
                memo[w] = [w]
            elif len(w) > 1 and w[-1] in _SIMPLE_MARKS and w[:-1].isalpha() and w[:-1] not in special:
                memo[w] = [w[:-1], w[-1]]
            else:
                rest.append(w)
        return rest

    def detokenize(self, tokens: Sequence[str]) -> str:
        return detokenize(tokens, self.lang)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: millions of small token lists and no reference cycles make it a
    large, useless cost (nested use is fine; it comes back on when the outermost pause ends)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pieces(tokenizer, words: Sequence[str]) -> list[list[str]]:
    """Tokens of each whitespace-free piece, with one spaCy call per 10k pieces (joined by spaces)."""
    out: list[list[str]] = []
    for b in range(0, len(words), 10_000):
        batch = words[b : b + 10_000]
        starts = list(itertools.accumulate((len(w) + 1 for w in batch[:-1]), initial=0))  # offset of each piece
        pieces: list[list[str]] = [[] for _ in batch]
        for t in tokenizer(" ".join(batch)):
            if not t.is_space:
                pieces[bisect.bisect_right(starts, t.idx) - 1].append(t.text)
        out.extend(pieces)
    return out


def _pack(lists: Sequence[Sequence[str]]) -> tuple[bytes, bytes]:
    """Lists of tokens -> (tokens joined by _TOK_SEP, int64 lengths): two buffers, cheap to send between processes."""
    joined = _TOK_SEP.join(itertools.chain.from_iterable(lists)).encode("utf-8")
    return joined, np.fromiter(map(len, lists), np.int64, len(lists)).tobytes()


def _unpack(joined: bytes, lengths: bytes) -> list[list[str]]:
    flat = joined.decode("utf-8").split(_TOK_SEP) if joined else []
    ends = np.cumsum(np.frombuffer(lengths, np.int64)).tolist()
    return [flat[e - n : e] for e, n in zip(ends, np.frombuffer(lengths, np.int64).tolist())]


def _send(conn, lists: Sequence[Sequence[str]]) -> None:
    for buf in _pack(lists):
        conn.send_bytes(buf)


def _recv(conn) -> list[list[str]]:
    return _unpack(conn.recv_bytes(), conn.recv_bytes())


def _shard_worker(conn, tok: SpacyTokenizer, texts: list[str]) -> None:
    """A forked worker: split its shard, report its unseen pieces, learn the share it is sent, take the tokens of
    all its pieces, put its texts together and send them back."""
    try:
        with gc_paused():
            split = [tok._prep(t).split() for t in texts]
            unseen = [w for w in dict.fromkeys(itertools.chain.from_iterable(split)) if w not in tok._memo]
            _send(conn, [unseen])
            share = _recv(conn)[0]
            _send(conn, _pieces(tok.spacy_tokenizer, share))
            tok._memo.update(zip(unseen, _recv(conn)))
            memo = tok._memo
            _send(conn, [[t for w in words for t in memo[w]] for words in split])
    finally:
        conn.close()


def _pool_tokenize(tok: SpacyTokenizer, texts: list[str], processes: int) -> list[list[str]]:
    """Shard the texts over this process and processes-1 forked workers; the distinct unseen pieces of all shards
    are tokenised by spaCy once, split between the processes, then each process puts its own shard together."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return tok._tokenize_block(texts)  # workers must inherit the loaded language data and the texts
    _ = tok.spacy_tokenizer  # load (spaCy's French takes ~2 s CPU) before forking
    ctx = multiprocessing.get_context("fork")
    share = -(-len(texts) // processes)
    shards = [texts[i : i + share] for i in range(0, len(texts), share)]
    links, workers = [], []
    for shard in shards[1:]:
        here, there = ctx.Pipe()
        workers.append(ctx.Process(target=_shard_worker, args=(there, tok, shard), daemon=True))
        workers[-1].start()
        there.close()
        links.append(here)
    try:
        return _coordinate(tok, shards[0], links)
    finally:
        for link in links:
            link.close()
        for w in workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()


def _coordinate(tok: SpacyTokenizer, mine_texts: list[str], links: list) -> list[list[str]]:
    memo = tok._memo
    split = [tok._prep(t).split() for t in mine_texts]
    unseen = [w for w in dict.fromkeys(itertools.chain.from_iterable(split)) if w not in memo]
    theirs = [_recv(link)[0] for link in links]
    union = list(dict.fromkeys(itertools.chain(unseen, *theirs)))
    spacy_bound = tok._plain_words(union, memo)
    part = -(-len(spacy_bound) // (len(links) + 1))
    parts = [spacy_bound[i * part : (i + 1) * part] for i in range(len(links) + 1)]
    for link, share in zip(links, parts[1:]):
        _send(link, [share])
    memo.update(zip(parts[0], _pieces(tok.spacy_tokenizer, parts[0])))
    for link, share in zip(links, parts[1:]):
        memo.update(zip(share, _recv(link)))
    for link, words in zip(links, theirs):
        _send(link, [memo[w] for w in words])
    out = [[t for w in words for t in memo[w]] for words in split]
    for link in links:
        out.extend(_recv(link))
    return out


# -------------------------------------------------------------------------------------------------- sentencepiece
class SentencePieceTokenizer:
    """A sentencepiece (unigram) model trained on the corpus; its pieces detokenise exactly."""

    kind = "sentencepiece"

    def __init__(self, model_path: str | Path, lang: str = "en", lowercase: bool = False):
        import sentencepiece as spm

        self.lang, self.lowercase, self.model_path = lang, lowercase, Path(model_path)
        if not self.model_path.is_file():
            raise DataError(f"sentencepiece model {self.model_path} does not exist.")
        self.sp = spm.SentencePieceProcessor(model_file=str(self.model_path))

    @classmethod
    def train(
        cls, texts: Iterable[str], model_path: str | Path, vocab_size: int = 8000, lang: str = "en",
        lowercase: bool = False, threads: int = 1,
    ) -> "SentencePieceTokenizer":
        """Train on `texts` and write the model file to `model_path`."""
        import io

        import sentencepiece as spm

        lines = [t.lower() if lowercase else t for t in texts if t.strip()]
        if not lines:
            raise DataError("cannot train sentencepiece on an empty corpus.")
        buf = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(lines), model_writer=buf, vocab_size=vocab_size, model_type="unigram",
            character_coverage=1.0, hard_vocab_limit=False, num_threads=threads, minloglevel=2,
            bos_id=-1, eos_id=-1, pad_id=-1, unk_id=0,
        )
        Path(model_path).write_bytes(buf.getvalue())
        return cls(model_path, lang, lowercase)

    def __getstate__(self) -> dict:
        return {"lang": self.lang, "lowercase": self.lowercase, "model_path": self.model_path}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["model_path"], state["lang"], state["lowercase"])

    def _prep(self, text: str) -> str:
        return text.strip().lower() if self.lowercase else text.strip()

    def tokenize(self, text: str) -> list[str]:
        return self.sp.encode(self._prep(text), out_type=str)

    def tokenize_many(self, texts: Sequence[str], processes: int = 1) -> list[list[str]]:
        return self.sp.encode([self._prep(t) for t in texts], out_type=str, num_threads=max(1, processes))

    def detokenize(self, tokens: Sequence[str]) -> str:
        return self.sp.decode_pieces(list(tokens))


# ------------------------------------------------------------------------------------------- build and reload
def make_spacy_tokenizers(src_lang: str, tgt_lang: str, lowercase: bool) -> tuple[SpacyTokenizer, SpacyTokenizer]:
    return SpacyTokenizer(src_lang, lowercase), SpacyTokenizer(tgt_lang, lowercase)


def save_tokenizer_config(folder: str | Path, kind: str, lowercase: bool, src_lang: str, tgt_lang: str) -> None:
    if kind not in KINDS:
        raise ConfigError(f"Invalid tokenizer {choices_hint(kind, KINDS)}")
    write_json(Path(folder) / "tokenizer.json",
               {"kind": kind, "lowercase": lowercase, "src_lang": src_lang, "tgt_lang": tgt_lang})


def load_tokenizers(folder: str | Path) -> tuple[Tokenizer, Tokenizer]:
    """(src_tok, tgt_tok) from FOLDER/tokenizer.json (+ spm.src.model / spm.tgt.model for sentencepiece)."""
    folder = Path(folder)
    path = folder / "tokenizer.json"
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        kind, lowercase = meta["kind"], bool(meta["lowercase"])
        src_lang, tgt_lang = meta["src_lang"], meta["tgt_lang"]
    except FileNotFoundError:
        raise DataError(f"{path} does not exist; is {folder} a prepared data or run folder?") from None
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
        raise DataError(f"{path} is not a wordbridge tokenizer description.") from None
    if kind == "spacy":
        return make_spacy_tokenizers(src_lang, tgt_lang, lowercase)
    if kind == "sentencepiece":
        return (SentencePieceTokenizer(folder / "spm.src.model", src_lang, lowercase),
                SentencePieceTokenizer(folder / "spm.tgt.model", tgt_lang, lowercase))
    raise DataError(f"{path}: unknown tokenizer kind {choices_hint(kind, KINDS)}")
