"""The seq2seq model: Encoder + Decoder, built from a ModelConfig and vocabulary sizes alone (checkpoint-friendly).

`forward` is for training only and returns logits at the non-pad target positions; decoding lives in decode.py.
"""


import numpy as np
import torch
from torch import nn

from wordbridge.config import from_dict, to_dict
from wordbridge.translate.config import ModelConfig
from wordbridge.translate.decoder import Decoder
from wordbridge.text.vocab import BOS, PAD
from wordbridge.translate.encoder import Encoded, Encoder

class Seq2Seq(nn.Module):
    def __init__(self, cfg: ModelConfig, src_vocab: int, tgt_vocab: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.src_vocab, self.tgt_vocab = src_vocab, tgt_vocab
        self.encoder = Encoder(cfg, src_vocab)
        self.decoder = Decoder(cfg, tgt_vocab, self.encoder.out_size)

    # ---- construction ----------------------------------------------------------------------------------------
    def model_args(self) -> dict:
        """Everything needed to rebuild this model (stored in checkpoints)."""
        return {"config": to_dict(self.cfg), "src_vocab": self.src_vocab, "tgt_vocab": self.tgt_vocab}

    @classmethod
    def from_args(cls, args: dict) -> "Seq2Seq":
        return cls(from_dict(ModelConfig, args["config"], "model"), int(args["src_vocab"]), int(args["tgt_vocab"]))

    def load_embeddings(self, src: np.ndarray | None, tgt: np.ndarray | None) -> None:
        """Initialise embeddings from prepared vectors (vocab, dim); the pad row stays zero.

        Vectors are rescaled to std `emb_std` (vector sets differ: spaCy's French vectors have std ~1.7, the
        lesson's fastText ones 0.29), then multiplied by `emb_scale` (the lesson's x3).
        """
        for emb, mat in ((self.encoder.emb, src), (self.decoder.emb, tgt)):
            if mat is None:
                continue
            if tuple(mat.shape) != tuple(emb.weight.shape):
                raise ValueError(f"embedding matrix {mat.shape} does not match {tuple(emb.weight.shape)}")
            weight = torch.from_numpy(np.asarray(mat, dtype=np.float32))
            if self.cfg.emb_std is not None:
                weight = weight * (self.cfg.emb_std / max(float(weight.std()), 1e-8))
            with torch.no_grad():
                emb.weight.copy_(weight * self.cfg.emb_scale)
                emb.weight[PAD].zero_()

    # ---- running ---------------------------------------------------------------------------------------------
    def encode(self, src: torch.Tensor, src_len: torch.Tensor) -> Encoded:
        """src: (batch, src_len) -> Encoded (outputs, mask, decoder initial state, attention keys)."""
        out, hidden = self.encoder(src, src_len)
        mask = src != PAD  # (batch, src_len)
        keys = self.decoder.attn.project_keys(out) if self.cfg.attention == "bahdanau" else None
        return Encoded(out=out, mask=mask, hidden=hidden, keys=keys)

    def forward(self, src: torch.Tensor, src_len: torch.Tensor, tgt: torch.Tensor, pr_force: float = 1.0):
        """Training forward. tgt: (batch, tgt_len) ending with EOS, padded with PAD.

        Returns logits (n_tokens, vocab) for the non-pad target positions in row-major order (= tgt[tgt != PAD]).
        """
        enc = self.encode(src, src_len)
        bos = torch.full_like(tgt[:, :1], BOS)
        tgt_in = torch.cat([bos, tgt[:, :-1]], dim=1)  # (batch, tgt_len): shifted right
        states = self.decoder.states(tgt_in, enc, pr_force)  # (batch, tgt_len, dim)
        keep = tgt != PAD  # (batch, tgt_len)
        return self.decoder.project(states[keep])  # output layer ONCE over all kept states: (n_tokens, vocab)
