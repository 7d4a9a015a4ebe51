"""GRU encoder: embeddings (pretrained x emb_scale) -> dropout -> (bi)GRU; also maps its final state to the decoder's."""

import dataclasses

import torch
from torch import nn

from wordbridge.text.vocab import PAD
from wordbridge.translate.config import ModelConfig



@dataclasses.dataclass
class Encoded:
    """What the decoder needs from the encoder for one batch (all batch-first)."""

    out: torch.Tensor  # (batch, src_len, enc_size)
    mask: torch.Tensor  # (batch, src_len) bool, True at real tokens
    hidden: torch.Tensor  # (layers, batch, dec_size): the decoder's state (initial, then after each decoding step)
    keys: torch.Tensor | None = None  # (batch, src_len, attn): Bahdanau W1 enc_out, once per batch

    def index_select(self, index: torch.Tensor) -> "Encoded":
        """Rows `index` of the batch (used to repeat each sentence once per beam)."""
        return Encoded(
            out=self.out.index_select(0, index),
            mask=self.mask.index_select(0, index),
            hidden=self.hidden.index_select(1, index),
            keys=None if self.keys is None else self.keys.index_select(0, index),
        )

    def reorder(self, index: torch.Tensor) -> "Encoded":
        """Decoder state of rows `index`; the encoder side is kept (beam search: rows of the same sentence)."""
        return dataclasses.replace(self, hidden=self.hidden.index_select(1, index))


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each row's first `length` steps, leaving end padding in place. x: (batch, seq, ...); an involution."""
    batch, seq = x.shape[:2]
    idx = torch.arange(seq, device=x.device).expand(batch, seq)  # (batch, seq)
    rev = lengths.to(x.device).unsqueeze(1) - 1 - idx
    rev = torch.where(rev >= 0, rev, idx)  # padding maps to itself
    return x.gather(1, rev.view(batch, seq, *([1] * (x.dim() - 2))).expand_as(x))


class Encoder(nn.Module):
    """Stacked (bi)GRU over end-padded batches without packed sequences.

    Each layer and direction is a single-layer nn.GRU over the whole padded batch; the backward direction runs on
    each sentence reversed within its length (padding stays at the end), so padding never reaches a real position
    and the final state is read at each sentence's last real token. On CPU this avoids the packed-sequence
    backward, which zero-fills a full-size gradient for every time step.
    """

    def __init__(self, cfg: ModelConfig, vocab_size: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(vocab_size, cfg.emb_size_src, padding_idx=PAD)
        self.emb_drop = nn.Dropout(cfg.emb_dropout)
        self.dirs = 2 if cfg.bidirectional else 1
        self.out_size = cfg.hidden * self.dirs
        self.rnns = nn.ModuleList(
            nn.ModuleList(nn.GRU(cfg.emb_size_src if layer == 0 else self.out_size, cfg.hidden, batch_first=True)
                          for _ in range(self.dirs))
            for layer in range(cfg.layers)
        )
        self.drop = nn.Dropout(cfg.enc_dropout)
        self.to_dec = nn.Linear(self.out_size, cfg.emb_size_tgt, bias=False)  # the lesson's out_enc

    def forward(self, src: torch.Tensor, src_len: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """src: (batch, src_len) ids padded at the end -> enc_out (batch, src_len, enc_size), h0 (layers, batch, dec)."""
        batch, seq = src.shape
        x = self.emb_drop(self.emb(src))  # (batch, src_len, emb)
        last = (src_len.to(src.device) - 1).view(batch, 1, 1).expand(batch, 1, self.cfg.hidden)
        finals = []
        for layer, rnns in enumerate(self.rnns):
            if layer > 0:
                x = self.drop(x)
            outs = []
            for direction, rnn in enumerate(rnns):
                out, _ = rnn(x if direction == 0 else reverse_padded(x, src_len))  # (batch, src_len, hidden)
                finals.append(out.gather(1, last).squeeze(1))  # state after the last real token: (batch, hidden)
                outs.append(out if direction == 0 else reverse_padded(out, src_len))
            x = torch.cat(outs, dim=-1) if self.dirs > 1 else outs[0]  # (batch, src_len, hidden*dirs)
        mask = (torch.arange(seq, device=src.device)[None] < src_len.to(src.device)[:, None]).unsqueeze(-1)
        out = x * mask  # zero at padding: (batch, src_len, enc)
        h = torch.stack(finals).view(self.cfg.layers, self.dirs, batch, self.cfg.hidden).permute(0, 2, 1, 3)
        h = h.reshape(self.cfg.layers, batch, self.out_size)  # (layers, batch, hidden*dirs)
        return out, self.to_dec(h).contiguous()  # (layers, batch, dec)
