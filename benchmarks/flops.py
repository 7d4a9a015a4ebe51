"""Analytic FLOP count of one training step (matmuls only; backward = 2x forward), for achieved-GFLOP/s figures.

Used by benchmarks/train_speed.py (and the README's achieved-compute figure).
"""

from wordbridge.translate.config import ModelConfig


def forward_flops(cfg: ModelConfig, src_tokens: int, tgt_tokens: int, tgt_vocab: int, mean_src_len: float) -> float:
    """Forward matmul FLOPs for a batch with `src_tokens` source and `tgt_tokens` (non-pad) target tokens."""
    dirs = 2 if cfg.bidirectional else 1
    hid, dim = cfg.hidden, cfg.emb_size_tgt
    enc_size = hid * dirs
    enc = 0.0
    for layer in range(cfg.layers):
        inp = cfg.emb_size_src if layer == 0 else enc_size
        enc += dirs * 2 * 3 * hid * (inp + hid)  # per source token
    dec = cfg.layers * 2 * 3 * dim * (dim + dim)  # GRU stack per target token
    if cfg.attention == "bahdanau":
        enc += 2 * enc_size * dim  # keys W1 enc_out, once per source token
        dec += 2 * dim * dim + 2 * mean_src_len * dim + 2 * mean_src_len * enc_size + 2 * dim * (dim + enc_size)
    elif cfg.attention == "luong":
        dec += 2 * dim * enc_size + 4 * mean_src_len * enc_size + 2 * (enc_size + dim) * dim
    dec += 2 * dim * tgt_vocab  # output layer, once per non-pad target token
    return src_tokens * enc + tgt_tokens * dec


def train_flops(cfg: ModelConfig, src_tokens: int, tgt_tokens: int, tgt_vocab: int, mean_src_len: float) -> float:
    """Forward + backward (2x forward) FLOPs of one training step."""
    return 3.0 * forward_flops(cfg, src_tokens, tgt_tokens, tgt_vocab, mean_src_len)
