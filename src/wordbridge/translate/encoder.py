"""GRU encoder: embeddings (pretrained x emb_scale) -> dropout -> (bi)GRU; also maps its final state to the decoder's."""

import dataclasses

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from wordbridge.translate.config import ModelConfig

PAD = 1


@dataclasses.dataclass
class Encoded:
    """What the decoder needs from the encoder for one batch (all batch-first)."""

    out: torch.Tensor  # (batch, src_len, enc_size)
    mask: torch.Tensor  # (batch, src_len) bool, True at real tokens
    hidden: torch.Tensor  # (layers, batch, dec_size): the decoder's initial state
    keys: torch.Tensor | None = None  # (batch, src_len, attn): Bahdanau W1 enc_out, once per batch

    def index_select(self, index: torch.Tensor) -> "Encoded":
        """Rows `index` of the batch (used to repeat each sentence once per beam)."""
        return Encoded(
            out=self.out.index_select(0, index),
            mask=self.mask.index_select(0, index),
            hidden=self.hidden.index_select(1, index),
            keys=None if self.keys is None else self.keys.index_select(0, index),
        )


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig, vocab_size: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(vocab_size, cfg.emb_size_src, padding_idx=PAD)
        self.emb_drop = nn.Dropout(cfg.emb_dropout)
        self.rnn = nn.GRU(
            cfg.emb_size_src,
            cfg.hidden,
            num_layers=cfg.layers,
            dropout=cfg.enc_dropout if cfg.layers > 1 else 0.0,
            bidirectional=cfg.bidirectional,
            batch_first=True,
        )
        self.dirs = 2 if cfg.bidirectional else 1
        self.out_size = cfg.hidden * self.dirs
        self.to_dec = nn.Linear(self.out_size, cfg.emb_size_tgt, bias=False)  # the lesson's out_enc

    def forward(self, src: torch.Tensor, src_len: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """src: (batch, src_len) ids padded at the end -> enc_out (batch, src_len, enc_size), h0 (layers, batch, dec)."""
        emb = self.emb_drop(self.emb(src))  # (batch, src_len, emb)
        packed = pack_padded_sequence(emb, src_len.cpu(), batch_first=True, enforce_sorted=False)
        out, h = self.rnn(packed)  # h: (layers*dirs, batch, hidden)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))  # (batch, src_len, enc)
        batch = src.size(0)
        h = h.view(self.cfg.layers, self.dirs, batch, self.cfg.hidden).permute(0, 2, 1, 3)
        h = h.reshape(self.cfg.layers, batch, self.out_size)  # (layers, batch, hidden*dirs)
        return out, self.to_dec(h).contiguous()  # (layers, batch, dec)
