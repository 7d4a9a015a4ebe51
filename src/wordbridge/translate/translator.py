"""Load a trained run folder and translate text: `Translator.load(run_dir).translate(texts, beam, attention)`.

Two engines decode: torch (the run's checkpoint, `decode_rows`: also what evaluation and validation use) and
CTranslate2 (a folder written by `wordbridge export`, translate/ct2_engine.py); `Translator.load(path,
engine="auto")` picks CTranslate2 for an export folder and torch for a run folder.
"""

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from wordbridge.errors import CheckpointError, ConfigError, DataError, choices_hint
from wordbridge.results import Translation
from wordbridge.text.batching import pad_batch
from wordbridge.text.tokenize import load_tokenizers
from wordbridge.text.vocab import EOS, Vocab
from wordbridge.translate.decode import Hypothesis, Sampling, beam_search, greedy, sample
from wordbridge.translate.ct2_engine import Ct2Engine
from wordbridge.translate.ct2_export import DEFAULT_SUBDIR, MARKER, is_export
from wordbridge.translate.model import find_checkpoint, load_model
from wordbridge.translate.quantize import int8_supported, quantize_int8
from wordbridge.translate.unk import replace_unk

log = logging.getLogger(__name__)

MAX_SRC_TOKENS = 100  # longer inputs are truncated (with a warning)


@torch.no_grad()
def decode_rows(model: torch.nn.Module, rows: Sequence[np.ndarray], beam: int = 1, batch_size: int = 64,
                len_a: float = 2.0, len_b: int = 10, sampling: Sampling | None = None) -> list[Hypothesis]:
    """Source id rows (each ending with _eos_) -> best hypothesis per row, in input order; batches by length.
    `sampling` (instead of beam): one sampled hypothesis per row, reproducible from sampling.seed."""
    device = next(model.parameters()).device
    gen = None if sampling is None else torch.Generator(device=device).manual_seed(sampling.seed)
    cap = getattr(model, "max_source_len", None)  # e.g. a Transformer's position table
    if cap is not None:
        rows = [r if len(r) <= cap else np.append(r[: cap - 1], EOS) for r in rows]
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
    out: list[Hypothesis | None] = [None] * len(rows)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        src, src_len = pad_batch([rows[i] for i in idx])  # (batch, src_len)
        src, src_len = src.to(device), src_len.to(device)
        if sampling is not None:
            hyps = sample(model, src, src_len, sampling.topk, sampling.temperature, gen, len_a, len_b)
        elif beam <= 1:
            hyps = greedy(model, src, src_len, len_a, len_b)
        else:
            hyps = [h[0] for h in beam_search(model, src, src_len, beam=beam, len_a=len_a, len_b=len_b)]
        for i, h in zip(idx, hyps):
            out[i] = h
    return out  # type: ignore[return-value]


ENGINES = ("auto", "torch", "ctranslate2")


class TorchEngine:
    """The torch model behind the Translator (the CTranslate2 one is ct2_engine.Ct2Engine)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.model = model.eval()

    def decode(self, rows: Sequence[np.ndarray], beam: int = 1, batch_size: int = 64,
               sampling: Sampling | None = None) -> list[Hypothesis]:
        return decode_rows(self.model, rows, beam=beam, batch_size=batch_size, sampling=sampling)


def export_folder(path: Path, engine: str = "auto") -> Path | None:
    """The CTranslate2 export to decode with (None: use torch). `path`: a run folder or an export folder."""
    if engine not in ENGINES:
        raise DataError(f"Invalid engine {choices_hint(engine, ENGINES)}")
    if engine == "torch":
        if is_export(path):
            raise DataError(f"{path} is a CTranslate2 export: use --engine ctranslate2 (or auto), or the run folder.")
        return None
    if is_export(path):
        return path
    if engine == "ctranslate2":
        if (path / DEFAULT_SUBDIR / MARKER).is_file():
            return path / DEFAULT_SUBDIR
        raise DataError(f"{path} has no CTranslate2 export; run `wordbridge export {path} --format ctranslate2` "
                        "or give the export folder.")
    return None


class Translator:
    def __init__(self, engine: "TorchEngine | Ct2Engine | torch.nn.Module", src_vocab: Vocab, tgt_vocab: Vocab,
                 src_tok, tgt_tok, max_src_tokens: int = MAX_SRC_TOKENS) -> None:
        self.engine = engine if hasattr(engine, "decode") else TorchEngine(engine)
        self.model = self.engine.model  # the torch model (None with CTranslate2)
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.src_tok, self.tgt_tok = src_tok, tgt_tok
        self.max_src_tokens = max_src_tokens

    @classmethod
    def load(cls, run_dir: str | Path, device: str | torch.device | None = None,
             engine: str = "auto", int8: bool | None = False) -> "Translator":
        """A run folder (torch) or an export folder (CTranslate2); engine: auto | torch | ctranslate2.
        `int8` (torch engine): decode with a dynamic int8 copy of a GRU model (CPU only, translate/quantize.py);
        None: int8 when a GRU model runs on the CPU. `device` None: cuda when available (cpu with int8=True)."""
        run_dir = Path(run_dir)
        if not run_dir.is_dir():
            raise DataError(f"Run folder {run_dir} does not exist.")
        folder = export_folder(run_dir, engine)
        if folder is not None:
            if int8:
                raise ConfigError("--int8 quantises the torch model; a CTranslate2 export has its own "
                                  "(`wordbridge export --quantization int8`).")
            ct2 = Ct2Engine.load(folder, None if device is None else str(device))
            return cls(ct2, ct2.src_vocab, ct2.tgt_vocab, *load_tokenizers(folder))
        device = torch.device(device or ("cpu" if int8 or not torch.cuda.is_available() else "cuda"))
        model, _ = load_model(find_checkpoint(run_dir), device)
        if int8 or (int8 is None and device.type == "cpu" and int8_supported(model)):
            model = quantize_int8(model)
            log.info("decoding with dynamic int8 weights (translate/quantize.py)")
        src_vocab, tgt_vocab = Vocab.load(run_dir / "vocab.src.json"), Vocab.load(run_dir / "vocab.tgt.json")
        if (len(src_vocab), len(tgt_vocab)) != (model.src_vocab, model.tgt_vocab):
            raise CheckpointError(f"The checkpoint in {run_dir} does not match its vocabularies "
                                  f"({model.src_vocab}/{model.tgt_vocab} vs {len(src_vocab)}/{len(tgt_vocab)}).")
        src_tok, tgt_tok = load_tokenizers(run_dir)
        return cls(model, src_vocab, tgt_vocab, src_tok, tgt_tok)

    def encode(self, text: str) -> tuple[list[str], np.ndarray]:
        tokens = self.src_tok.tokenize(text)
        if len(tokens) > self.max_src_tokens:
            # users' text is never logged above DEBUG (the server logs at INFO): its length only
            log.warning("input of %d tokens (%d characters) truncated to %d", len(tokens), len(text),
                        self.max_src_tokens)
            log.debug("truncated input starts: %.40s...", text)
            tokens = tokens[: self.max_src_tokens]
        return tokens, self.src_vocab.encode(tokens)  # ids end with _eos_

    @property
    def direction(self) -> str:
        """'fr-en' or 'en-fr': the languages of the run's tokenizers (text/direction.py)."""
        return f"{self.src_tok.lang}-{self.tgt_tok.lang}"

    def translate(self, texts: list[str], beam: int = 1, attention: bool = False, batch_size: int = 64,
                  sampling: Sampling | None = None) -> list[Translation]:
        """One Translation per text; an empty (or blank) text gives an empty translation. `sampling`: draw each
        translation (translate/decode.py `sample`) instead of greedy/beam search."""
        encoded = [self.encode(t) if t.strip() else None for t in texts]
        todo = [i for i, e in enumerate(encoded) if e is not None]
        extra = {} if sampling is None else {"sampling": sampling}  # engines without sampling keep their signature
        hyps = self.engine.decode([encoded[i][1] for i in todo], beam=beam, batch_size=batch_size, **extra)
        results = [Translation("", [], [], [] if attention else None) for _ in texts]
        for i, hyp in zip(todo, hyps):
            src_tokens = encoded[i][0]
            att = None if hyp.attention is None else hyp.attention[:, : len(src_tokens)]
            tokens = replace_unk(self.tgt_vocab.decode(hyp.tokens), src_tokens, att)
            results[i] = Translation(
                text=self.tgt_tok.detokenize(tokens), src_tokens=src_tokens, tokens=tokens,
                attention=att.tolist() if attention and att is not None else None,
            )
        return results
