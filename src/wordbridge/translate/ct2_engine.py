"""Decoding with CTranslate2 (an exported Transformer, translate/ct2_export.py) behind the torch engine's interface.

`Ct2Engine.load(folder)` -> `.decode(rows, beam, batch_size)` gives the Hypothesis list `decode_rows` gives, so the
Translator, `evaluate` and the web app use either engine alike. Greedy decoding follows the torch rules exactly:
_bos_ and _pad_ are never generated, _eos_ may come first, and each sentence stops at its own maximum length
(`max_lengths`: the batch is decoded to the longest one and each output cut to its own, which greedy decoding
makes identical). Beam search uses CTranslate2's length normalisation (score / length), not the torch beam's
GNMT penalty, so beam outputs may differ a little. `.loss(src_rows, tgt_rows)` is the mean target-token NLL.
"""

import logging
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from wordbridge.text.vocab import BOS, EOS, PAD, SPECIALS, UNK, Vocab
from wordbridge.translate.ct2_export import check_export, check_vocabularies, require_ctranslate2
from wordbridge.translate.decode import Hypothesis, Sampling, max_lengths

log = logging.getLogger(__name__)


class Ct2Engine:
    model = None  # no torch model behind it

    def __init__(self, translator, src_vocab: Vocab, tgt_vocab: Vocab, max_positions: int) -> None:
        self.translator, self.src_vocab, self.tgt_vocab = translator, src_vocab, tgt_vocab
        self.max_positions = max_positions
        self._tgt_ids = {tok: i for i, tok in enumerate(tgt_vocab.itos)}
        self._suppress = [[SPECIALS[BOS]], [SPECIALS[PAD]]]

    @classmethod
    def load(cls, folder: str | Path, device: str | None = None, threads: int | None = None) -> "Ct2Engine":
        """A checked export folder -> engine (device 'cpu' or 'cuda'; threads: CTranslate2's intra_threads)."""
        folder = Path(folder)
        marker = check_export(folder)
        check_vocabularies(folder)
        require_ctranslate2()
        import ctranslate2  # optional dependency, loaded only for exported models

        device = "cuda" if device is None and ctranslate2.get_cuda_device_count() > 0 else (device or "cpu")
        translator = ctranslate2.Translator(str(folder), device=str(device).split(":")[0], compute_type="default",
                                            intra_threads=threads or torch.get_num_threads())
        log.info("CTranslate2 model %s (%s, step %s) on %s", folder, marker.get("quantization"), marker.get("step"),
                 device)
        return cls(translator, Vocab.load(folder / "vocab.src.json"), Vocab.load(folder / "vocab.tgt.json"),
                   int(marker.get("max_positions", 512)))

    def _source(self, row: np.ndarray) -> list[str]:
        ids = [int(i) for i in row]
        if len(ids) > self.max_positions:  # the position table's length, as the torch engine truncates
            ids = ids[: self.max_positions - 1] + [EOS]
        return [self.src_vocab.itos[i] for i in ids]

    def decode(self, rows: Sequence[np.ndarray], beam: int = 1, batch_size: int = 64, len_a: float = 2.0,
               len_b: int = 10, sampling: Sampling | None = None) -> list[Hypothesis]:
        """Source id rows (each ending with _eos_) -> best hypothesis per row, in input order. `sampling`: CTranslate2's
        top-k / temperature sampling, seeded with sampling.seed (process-wide: ctranslate2.set_random_seed)."""
        if not rows:
            return []
        options = {"beam_size": max(beam, 1)}
        if sampling is not None:
            import ctranslate2  # optional dependency: loaded only for exported models (load() imported it already)

            ctranslate2.set_random_seed(sampling.seed)
            options = {"beam_size": 1, "sampling_topk": sampling.topk, "sampling_temperature": sampling.temperature}
        sources = [self._source(r) for r in rows]
        limits = max_lengths(torch.tensor([len(s) for s in sources]), len_a, len_b).clamp(max=self.max_positions)
        limits = limits.tolist()  # _eos_ included: at most limit - 1 output tokens
        results = self.translator.translate_batch(
            sources, max_batch_size=batch_size, **options, num_hypotheses=1, return_scores=True,
            return_attention=True, min_decoding_length=0, max_decoding_length=max(limits) - 1,
            max_input_length=self.max_positions, suppress_sequences=self._suppress)
        hyps = []
        for src, limit, res in zip(sources, limits, results):
            n = limit - 1
            tokens = [self._tgt_ids.get(t, UNK) for t in res.hypotheses[0][:n]]
            att = np.asarray(res.attention[0], dtype=np.float32)[:n] if res.attention else None
            if att is not None and att.size == 0:
                att = np.zeros((0, len(src)), dtype=np.float32)
            hyps.append(Hypothesis(tokens=tokens, score=float(res.scores[0]) if res.scores else 0.0, attention=att))
        return hyps

    def loss(self, src_rows: Sequence[np.ndarray], tgt_rows: Sequence[np.ndarray], batch_size: int = 64) -> float:
        """Mean negative log-likelihood per target token (_eos_ included), as the torch validation loss."""
        sources = [self._source(r) for r in src_rows]
        targets = [[self.tgt_vocab.itos[int(i)] for i in r if int(i) != EOS] for r in tgt_rows]
        results = self.translator.score_batch(sources, targets, max_batch_size=batch_size,
                                              max_input_length=self.max_positions)
        total = sum(-sum(r.log_probs) for r in results)
        count = sum(len(r.log_probs) for r in results)
        return total / max(count, 1)
