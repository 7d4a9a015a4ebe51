"""Analytic FLOP count of one training step (matmuls only; backward = 2x forward), for achieved-GFLOP/s figures.

Used by benchmarks/train_speed.py and benchmarks/vs_transformer_data.py (achieved GFLOP/s in docs/benchmarks.md).
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


def transformer_forward_flops(cfg: ModelConfig, src_tokens: float, tgt_tokens: float, tgt_vocab: int,
                              mean_src_len: float, mean_tgt_len: float) -> float:
    """Forward matmul FLOPs of the Transformer (model.transformer sizes) for a batch: encoder self-attention and
    feed-forward per source token; decoder self-attention, cross-attention (keys/values once per source token and
    decoder layer) and feed-forward per target token; the output layer per target token."""
    t = cfg.transformer
    d, ff = t.d_model, t.ff_size
    enc = t.enc_layers * (8 * d * d + 4 * d * ff + 4 * mean_src_len * d) + t.dec_layers * 4 * d * d
    dec = t.dec_layers * (8 * d * d + 4 * mean_tgt_len * d + 4 * d * d + 4 * mean_src_len * d + 4 * d * ff)
    dec += 2 * d * tgt_vocab
    return src_tokens * enc + tgt_tokens * dec


def train_flops_per_target_token(cfg: ModelConfig, src_per_tgt: float, tgt_vocab: int, mean_src_len: float,
                                 mean_tgt_len: float) -> float:
    """Forward + backward FLOPs of training per target token, for either arch (src_per_tgt: source tokens per
    target token in the training data)."""
    if cfg.arch == "transformer":
        return 3.0 * transformer_forward_flops(cfg, src_per_tgt, 1.0, tgt_vocab, mean_src_len, mean_tgt_len)
    return train_flops(cfg, src_per_tgt, 1.0, tgt_vocab, mean_src_len)
