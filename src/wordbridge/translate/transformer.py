"""Encoder-decoder Transformer (pre-norm, sinusoidal positions, tied target embedding/output) behind the same
interface as the GRU Seq2Seq: `forward` for training (logits at the non-pad target positions), `encode` / `step`
for decoding (decode.py), `model_args` / `from_args` for checkpoints, `load_embeddings` for word vectors.

Its weights are laid out as CTranslate2 stores a Transformer (fused query/key/value in self-attention, fused
key/value in cross-attention), so the CTranslate2 converter (translate/ct2_spec.py) is a renaming.
"""

import dataclasses
import logging
import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from wordbridge.config import from_dict, to_dict
from wordbridge.errors import ConfigError
from wordbridge.text.vocab import BOS, PAD
from wordbridge.translate.config import ModelConfig, TransformerConfig

log = logging.getLogger(__name__)

LN_EPS = 1e-6  # CTranslate2's layer-norm epsilon


def sinusoids(n: int, dim: int) -> torch.Tensor:
    """(n, dim) sinusoidal position table: sin on even columns, cos on odd ones (Vaswani et al.)."""
    pos = torch.arange(n, dtype=torch.float32)[:, None]  # (n, 1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))  # (dim/2,)
    table = torch.zeros(n, dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq)[:, : dim // 2]
    return table


class Attention(nn.Module):
    """Multi-head attention; `self_attn`: one fused (d, 3d) projection, else query (d, d) + fused key/value (d, 2d)."""

    def __init__(self, d: int, heads: int, dropout: float, self_attn: bool) -> None:
        super().__init__()
        self.heads, self.dh, self.dropout = heads, d // heads, dropout
        if self_attn:
            self.qkv = nn.Linear(d, 3 * d)
        else:
            self.q, self.kv = nn.Linear(d, d), nn.Linear(d, 2 * d)
        self.out = nn.Linear(d, d)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, len, d) -> (batch, heads, len, dh)."""
        b, n, _ = x.shape
        return x.view(b, n, self.heads, self.dh).transpose(1, 2)

    def merge(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, heads, len, dh) -> (batch, len, d)."""
        b, _, n, _ = x.shape
        return x.transpose(1, 2).reshape(b, n, self.heads * self.dh)

    def keys_values(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cross-attention keys and values of the encoder output: 2 x (batch, heads, src_len, dh)."""
        k, v = self.kv(memory).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def attend(self, q, k, v, mask, weights: bool = False):
        """q: (b, h, lq, dh), k/v: (b, h, lk, dh), mask broadcastable to (b, h, lq, lk) bool (True = attend)
        -> output (b, lq, d) and, when asked, the weights averaged over heads (b, lq, lk)."""
        if not weights:
            p = self.dropout if self.training else 0.0
            return self.merge(F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)), None
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(self.dh)  # (b, h, lq, lk)
        w = scores.masked_fill(~mask, float("-inf")).softmax(-1)
        return self.merge(w @ v), w.mean(1)


class FeedForward(nn.Module):
    def __init__(self, d: int, ff: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.w1, self.w2, self.drop = nn.Linear(d, ff), nn.Linear(ff, d), dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.dropout(F.relu(self.w1(self.norm(x))), self.drop, self.training)  # (b, n, ff)
        return self.w2(h)


class EncoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.norm = nn.LayerNorm(d, eps=LN_EPS)
        self.attn = Attention(d, cfg.heads, cfg.attn_dropout, self_attn=True)
        self.ff = FeedForward(d, cfg.ff_size, cfg.dropout)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (b, src_len, d); mask: (b, 1, 1, src_len)."""
        q, k, v = (self.attn.split(t) for t in self.attn.qkv(self.norm(x)).chunk(3, dim=-1))
        x = x + self.drop(self.attn.out(self.attn.attend(q, k, v, mask)[0]))
        return x + self.drop(self.ff(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.norm1, self.norm2 = nn.LayerNorm(d, eps=LN_EPS), nn.LayerNorm(d, eps=LN_EPS)
        self.self_attn = Attention(d, cfg.heads, cfg.attn_dropout, self_attn=True)
        self.cross = Attention(d, cfg.heads, cfg.attn_dropout, self_attn=False)
        self.ff = FeedForward(d, cfg.ff_size, cfg.dropout)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, self_mask, cross_kv, cross_mask, cache=None, weights=False):
        """x: (b, n, d). With `cache` (k, v) of the earlier steps, x holds the new step(s) only.

        -> x, new (k, v) of the self-attention, cross-attention weights (b, n, src_len) | None."""
        a = self.self_attn
        q, k, v = (a.split(t) for t in a.qkv(self.norm1(x)).chunk(3, dim=-1))  # (b, h, n, dh)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)  # (b, h, t+n, dh)
        x = x + self.drop(a.out(a.attend(q, k, v, self_mask)[0]))
        c = self.cross
        ctx, w = c.attend(c.split(c.q(self.norm2(x))), *cross_kv, cross_mask, weights)
        x = x + self.drop(c.out(ctx))
        return x + self.drop(self.ff(x)), (k, v), w


@dataclasses.dataclass
class TransformerState:
    """Decoding state: encoder side per row (sentence-level), self-attention cache (hypothesis-level), position."""

    mask: torch.Tensor  # (rows, 1, 1, src_len) bool, True at real source tokens
    cross: list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values (rows, heads, src_len, dh)
    cache: list[tuple[torch.Tensor, torch.Tensor]] | None  # per layer: keys, values (rows, heads, t, dh)
    t: int  # position of the next input token

    def index_select(self, index: torch.Tensor) -> "TransformerState":
        """Rows `index` of everything (repeating sentences per beam, dropping finished ones)."""
        return TransformerState(self.mask.index_select(0, index), _rows(self.cross, index),
                                None if self.cache is None else _rows(self.cache, index), self.t)

    def reorder(self, index: torch.Tensor) -> "TransformerState":
        """Rows `index` of the hypothesis-dependent part only (beam reordering within each sentence)."""
        return self if self.cache is None else dataclasses.replace(self, cache=_rows(self.cache, index))


def _rows(pairs: list[tuple[torch.Tensor, torch.Tensor]], index: torch.Tensor) -> list[tuple]:
    """Rows `index` (dim 0) of each (keys, values) pair."""
    return [(k.index_select(0, index), v.index_select(0, index)) for k, v in pairs]


class Transformer(nn.Module):
    def __init__(self, model_cfg: ModelConfig, src_vocab: int, tgt_vocab: int) -> None:
        super().__init__()
        cfg = model_cfg.transformer
        d = cfg.d_model
        self.cfg, self.tcfg, self.src_vocab, self.tgt_vocab = model_cfg, cfg, src_vocab, tgt_vocab
        self.src_emb = nn.Embedding(src_vocab, d, padding_idx=PAD)
        self.tgt_emb = nn.Embedding(tgt_vocab, d, padding_idx=PAD)
        if model_cfg.tie_embeddings:  # one table for both sides (one shared vocabulary: checked by the trainer)
            if src_vocab != tgt_vocab:
                raise ConfigError(f"model.tie_embeddings needs one vocabulary for both sides, not {src_vocab} and "
                                  f"{tgt_vocab} tokens; prepare with data.shared_pieces: true.")
            self.src_emb = self.tgt_emb
        self.register_buffer("positions", sinusoids(cfg.max_positions, d), persistent=False)
        self.enc_layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.enc_layers))
        self.dec_layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.dec_layers))
        self.enc_norm, self.dec_norm = nn.LayerNorm(d, eps=LN_EPS), nn.LayerNorm(d, eps=LN_EPS)
        self.out = nn.Linear(d, tgt_vocab)
        self.drop = nn.Dropout(cfg.dropout)
        self._init()
        if model_cfg.tie_output:
            self.out.weight = self.tgt_emb.weight

    # ---- construction (the same as Seq2Seq's) -------------------------------------------------------------
    def model_args(self) -> dict:
        """Everything needed to rebuild this model (stored in checkpoints)."""
        return {"config": to_dict(self.cfg), "src_vocab": self.src_vocab, "tgt_vocab": self.tgt_vocab}

    @classmethod
    def from_args(cls, args: dict) -> "Transformer":
        return cls(from_dict(ModelConfig, args["config"], "model"), int(args["src_vocab"]), int(args["tgt_vocab"]))

    def load_embeddings(self, src: np.ndarray | None, tgt: np.ndarray | None) -> None:
        """Initialise embeddings from prepared word vectors when their size is d_model (else keep the random ones).

        Vectors are rescaled to the embedding's initial std d_model**-0.5 (the forward multiplies by sqrt(d_model));
        the pad row stays zero. (emb_std / emb_scale are the GRU's settings.) Tied embeddings take the target
        side's vectors (loaded last), as the output layer shares them.
        """
        for name, emb, mat in (("source", self.src_emb, src), ("target", self.tgt_emb, tgt)):
            if mat is None:
                continue
            if tuple(mat.shape) != tuple(emb.weight.shape):
                log.info("%s word vectors %s do not fit the embedding %s: random initialisation", name,
                         tuple(mat.shape), tuple(emb.weight.shape))
                continue
            weight = torch.from_numpy(np.asarray(mat, dtype=np.float32))
            weight = weight * (self.tcfg.d_model ** -0.5 / max(float(weight.std()), 1e-8))
            with torch.no_grad():
                emb.weight.copy_(weight)
                emb.weight[PAD].zero_()

    def _init(self) -> None:
        for name, p in self.named_parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
            elif name.endswith("bias"):
                nn.init.zeros_(p)
        for emb in (self.src_emb, self.tgt_emb):
            nn.init.normal_(emb.weight, std=self.tcfg.d_model ** -0.5)
            with torch.no_grad():
                emb.weight[PAD].zero_()

    def embed(self, emb: nn.Embedding, ids: torch.Tensor, start: int = 0) -> torch.Tensor:
        """ids: (b, n) -> (b, n, d) = emb * sqrt(d) + positions[start:start+n], dropout."""
        n = ids.size(1)
        if start + n > self.tcfg.max_positions:
            raise ValueError(f"sequence of {start + n} tokens is longer than max_positions={self.tcfg.max_positions}")
        x = emb(ids) * math.sqrt(self.tcfg.d_model) + self.positions[start:start + n]
        return self.drop(x)

    def encode_memory(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """src: (b, src_len) -> memory (b, src_len, d), mask (b, 1, 1, src_len)."""
        mask = (src != PAD)[:, None, None, :]
        x = self.embed(self.src_emb, src)
        for layer in self.enc_layers:
            x = layer(x, mask)
        return self.enc_norm(x), mask

    def forward(self, src, src_len, tgt, pr_force: float = 1.0) -> torch.Tensor:
        """Training forward (teacher forcing; pr_force is the GRU's and is ignored here).
        -> logits (n_tokens, vocab) at the non-pad target positions, row-major (= tgt[tgt != PAD])."""
        return self.project(self.target_states(src, src_len, tgt))  # (n_tokens, vocab)

    def project(self, states: torch.Tensor) -> torch.Tensor:
        """The output layer: states (..., d) -> logits (..., vocab)."""
        return self.out(states)

    def target_states(self, src, src_len, tgt, pr_force: float = 1.0) -> torch.Tensor:
        """forward() before the output layer: (n_tokens, d) at the non-pad target positions."""
        memory, mask = self.encode_memory(src)
        tgt_in = torch.cat([torch.full_like(tgt[:, :1], BOS), tgt[:, :-1]], dim=1)  # (b, tgt_len) shifted right
        n = tgt_in.size(1)
        causal = torch.ones(n, n, dtype=torch.bool, device=tgt.device).tril()  # (n, n)
        x = self.embed(self.tgt_emb, tgt_in)
        for layer in self.dec_layers:
            x, _, _ = layer(x, causal, layer.cross.keys_values(memory), mask)
        return self.dec_norm(x[tgt != PAD])  # (n_tokens, d)

    # ---- decoding (decode.py) ------------------------------------------------------------------------------
    @property
    def max_source_len(self) -> int:
        return self.tcfg.max_positions

    @property
    def max_output_len(self) -> int:
        return self.tcfg.max_positions

    def encode(self, src: torch.Tensor, src_len: torch.Tensor) -> TransformerState:
        memory, mask = self.encode_memory(src)
        return TransformerState(mask, [layer.cross.keys_values(memory) for layer in self.dec_layers], None, 0)

    def step(self, tokens: torch.Tensor, state: TransformerState):
        """tokens (rows,) -> logits (rows, vocab), the next state, and the last layer's cross-attention averaged
        over heads (rows, src_len): the heatmap."""
        x = self.embed(self.tgt_emb, tokens[:, None], state.t)  # (rows, 1, d)
        cache, last = [], len(self.dec_layers) - 1
        mask = torch.ones(1, 1, dtype=torch.bool, device=tokens.device)
        for i, layer in enumerate(self.dec_layers):
            past = None if state.cache is None else state.cache[i]
            x, kv, w = layer(x, mask, state.cross[i], state.mask, past, weights=i == last)
            cache.append(kv)
            if i == last:
                attn = w[:, 0]  # (rows, src_len)
        logits = self.out(self.dec_norm(x[:, 0]))  # (rows, vocab)
        return logits, TransformerState(state.mask, state.cross, cache, state.t + 1), attn
