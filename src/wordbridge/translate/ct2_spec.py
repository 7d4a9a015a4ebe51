"""The custom CTranslate2 converter: a wordbridge Transformer -> `ctranslate2.specs.TransformerSpec`.

Imported only by ct2_export.py, and only when exporting (ctranslate2 is an optional dependency). The Transformer
(translate/transformer.py) keeps its weights in CTranslate2's layout, so each spec variable is one tensor:
fused query/key/value for self-attention, query + fused key/value for cross-attention, pre-norm layer norms, the
sinusoidal table as explicit position encodings, embeddings scaled by sqrt(d_model), the tied output projection.
Cross-attention weights are returned for the last decoder layer averaged over all heads (the torch heatmap).
"""

import numpy as np
import torch
from ctranslate2.converters.converter import Converter
from ctranslate2.specs import common_spec, transformer_spec

from wordbridge.text.vocab import SPECIALS
from wordbridge.translate.transformer import LN_EPS, Transformer

BOS_TOKEN, PAD_TOKEN, EOS_TOKEN, UNK_TOKEN = SPECIALS


def _array(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy().copy()


def _linear(spec, linear: torch.nn.Linear) -> None:
    spec.weight = _array(linear.weight)
    if linear.bias is not None:
        spec.bias = _array(linear.bias)


def _norm(spec, norm: torch.nn.LayerNorm) -> None:
    spec.gamma, spec.beta = _array(norm.weight), _array(norm.bias)


def _embedding_side(spec, positions: np.ndarray, norm: torch.nn.LayerNorm) -> None:
    spec.scale_embeddings = True  # x * sqrt(d_model), as Transformer.embed
    spec.position_encodings.encodings = positions  # (max_positions, d_model)
    _norm(spec.layer_norm, norm)  # the final pre-norm layer norm


class TransformerConverter(Converter):
    """Converter over an in-memory model and its vocabularies (token lists in id order)."""

    def __init__(self, model: Transformer, src_itos: list[str], tgt_itos: list[str]) -> None:
        self.model, self.src_itos, self.tgt_itos = model, list(src_itos), list(tgt_itos)

    def _load(self) -> transformer_spec.TransformerSpec:
        m, cfg = self.model, self.model.tcfg
        spec = transformer_spec.TransformerSpec.from_config(
            (cfg.enc_layers, cfg.dec_layers), cfg.heads, pre_norm=True, activation=common_spec.Activation.RELU,
            alignment_layer=-1, alignment_heads=cfg.heads)
        conf = spec.config
        conf.bos_token, conf.eos_token, conf.unk_token, conf.decoder_start_token = (BOS_TOKEN, EOS_TOKEN, UNK_TOKEN,
                                                                                    BOS_TOKEN)
        conf.layer_norm_epsilon = LN_EPS
        positions = _array(m.positions)
        enc, dec = spec.encoder, spec.decoder
        enc.embeddings[0].weight = _array(m.src_emb.weight)
        _embedding_side(enc, positions, m.enc_norm)
        for ls, layer in zip(enc.layer, m.enc_layers):
            _norm(ls.self_attention.layer_norm, layer.norm)
            _linear(ls.self_attention.linear[0], layer.attn.qkv)
            _linear(ls.self_attention.linear[1], layer.attn.out)
            self._ffn(ls.ffn, layer.ff)
        dec.embeddings.weight = _array(m.tgt_emb.weight)
        _embedding_side(dec, positions, m.dec_norm)
        for ls, layer in zip(dec.layer, m.dec_layers):
            _norm(ls.self_attention.layer_norm, layer.norm1)
            _linear(ls.self_attention.linear[0], layer.self_attn.qkv)
            _linear(ls.self_attention.linear[1], layer.self_attn.out)
            _norm(ls.attention.layer_norm, layer.norm2)
            _linear(ls.attention.linear[0], layer.cross.q)
            _linear(ls.attention.linear[1], layer.cross.kv)
            _linear(ls.attention.linear[2], layer.cross.out)
            self._ffn(ls.ffn, layer.ff)
        _linear(dec.projection, m.out)
        spec.register_source_vocabulary(self.src_itos)
        spec.register_target_vocabulary(self.tgt_itos)
        return spec

    @staticmethod
    def _ffn(spec, ff) -> None:
        _norm(spec.layer_norm, ff.norm)
        _linear(spec.linear_0, ff.w1)
        _linear(spec.linear_1, ff.w2)


def convert(model: Transformer, src_itos: list[str], tgt_itos: list[str], out_dir: str, quantization: str) -> None:
    """Write model.bin, config.json and the two vocabularies into out_dir (which may exist: it is replaced)."""
    TransformerConverter(model, src_itos, tgt_itos).convert(out_dir, quantization=quantization, force=True)
