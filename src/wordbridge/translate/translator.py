"""Load a trained run folder and translate text: `Translator.load(run_dir).translate(texts, beam, attention)`.

Also the id-level batch decoder shared by evaluation and validation (`decode_rows`).
"""

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from wordbridge.errors import CheckpointError, DataError
from wordbridge.results import Translation
from wordbridge.text.batching import pad_batch
from wordbridge.text.tokenize import load_tokenizers
from wordbridge.text.vocab import Vocab
from wordbridge.train.checkpoint import load_checkpoint, load_model_state
from wordbridge.translate.decode import Hypothesis, beam_search, greedy
from wordbridge.translate.model import Seq2Seq
from wordbridge.translate.unk import replace_unk

log = logging.getLogger(__name__)

KIND = "translate"
MAX_SRC_TOKENS = 100  # longer inputs are truncated (with a warning)


@torch.no_grad()
def decode_rows(model: Seq2Seq, rows: Sequence[np.ndarray], beam: int = 1, batch_size: int = 64,
                len_a: float = 2.0, len_b: int = 10) -> list[Hypothesis]:
    """Source id rows (each ending with _eos_) -> best hypothesis per row, in input order; batches by length."""
    device = next(model.parameters()).device
    order = sorted(range(len(rows)), key=lambda i: -len(rows[i]))
    out: list[Hypothesis | None] = [None] * len(rows)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        src, src_len = pad_batch([rows[i] for i in idx])  # (batch, src_len)
        src, src_len = src.to(device), src_len.to(device)
        if beam <= 1:
            hyps = greedy(model, src, src_len, len_a, len_b)
        else:
            hyps = [h[0] for h in beam_search(model, src, src_len, beam=beam, len_a=len_a, len_b=len_b)]
        for i, h in zip(idx, hyps):
            out[i] = h
    return out  # type: ignore[return-value]


def find_checkpoint(run_dir: Path) -> Path:
    for name in ("best.pt", "latest.pt"):
        if (run_dir / name).is_file():
            return run_dir / name
    raise CheckpointError(f"{run_dir} holds no best.pt or latest.pt; is it a `wordbridge train` run folder?")


def load_model(path: Path, device: torch.device | str = "cpu") -> tuple[Seq2Seq, dict]:
    """Rebuild the model from a checkpoint alone (weights_only load); one-line CheckpointError otherwise."""
    ckpt = load_checkpoint(path, KIND, map_location=device)
    try:
        model = Seq2Seq.from_args(ckpt["model_args"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"Checkpoint {path} has no usable model_args ({exc}).") from None
    load_model_state(model, ckpt["model"], path)
    return model.to(device).eval(), ckpt


class Translator:
    def __init__(self, model: Seq2Seq, src_vocab: Vocab, tgt_vocab: Vocab, src_tok, tgt_tok,
                 max_src_tokens: int = MAX_SRC_TOKENS) -> None:
        self.model, self.src_vocab, self.tgt_vocab = model.eval(), src_vocab, tgt_vocab
        self.src_tok, self.tgt_tok = src_tok, tgt_tok
        self.max_src_tokens = max_src_tokens

    @classmethod
    def load(cls, run_dir: str | Path, device: str | torch.device | None = None) -> "Translator":
        run_dir = Path(run_dir)
        if not run_dir.is_dir():
            raise DataError(f"Run folder {run_dir} does not exist.")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        model, _ = load_model(find_checkpoint(run_dir), device)
        src_vocab, tgt_vocab = Vocab.load(run_dir / "vocab.src.json"), Vocab.load(run_dir / "vocab.tgt.json")
        if (len(src_vocab), len(tgt_vocab)) != (model.src_vocab, model.tgt_vocab):
            raise CheckpointError(f"The checkpoint in {run_dir} does not match its vocabularies "
                                  f"({model.src_vocab}/{model.tgt_vocab} vs {len(src_vocab)}/{len(tgt_vocab)}).")
        src_tok, tgt_tok = load_tokenizers(run_dir)
        return cls(model, src_vocab, tgt_vocab, src_tok, tgt_tok)

    def encode(self, text: str) -> tuple[list[str], np.ndarray]:
        tokens = self.src_tok.tokenize(text)
        if len(tokens) > self.max_src_tokens:
            log.warning("input of %d tokens truncated to %d: %.40s...", len(tokens), self.max_src_tokens, text)
            tokens = tokens[: self.max_src_tokens]
        return tokens, self.src_vocab.encode(tokens)  # ids end with _eos_

    def translate(self, texts: list[str], beam: int = 1, attention: bool = False,
                  batch_size: int = 64) -> list[Translation]:
        """One Translation per text; an empty (or blank) text gives an empty translation."""
        encoded = [self.encode(t) if t.strip() else None for t in texts]
        todo = [i for i, e in enumerate(encoded) if e is not None]
        hyps = decode_rows(self.model, [encoded[i][1] for i in todo], beam=beam, batch_size=batch_size)
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
