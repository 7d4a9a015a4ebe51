"""The int8 decoding copy (translate/quantize.py): what it quantises, that it leaves the float model alone, how close
its scores stay to the float model's, and that greedy / beam search / the Translator run on it."""

import pytest
import torch
from torch import nn
from torch.ao.nn.quantized import dynamic as qd

from wordbridge.errors import ConfigError
from wordbridge.translate.config import ModelConfig
from wordbridge.translate.decode import beam_search, greedy
from wordbridge.translate.encoder import PAD
from wordbridge.translate.model import Seq2Seq
from wordbridge.translate.quantize import quantize_int8
from wordbridge.translate.translator import Translator

SMALL = {"emb_size_src": 24, "emb_size_tgt": 32, "hidden": 16}


def _model(attention: str = "bahdanau", seed: int = 0, scale: float = 1.0) -> Seq2Seq:
    torch.manual_seed(seed)
    model = Seq2Seq(ModelConfig(attention=attention, **SMALL), 60, 50).eval()
    with torch.no_grad():
        model.decoder.out.weight.mul_(scale)  # tied: a larger scale makes the output distribution peaked
    return model


def _batch(n: int = 12, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, 9, (n,), generator=g)
    src = torch.randint(4, 60, (n, int(lengths.max())), generator=g)
    for i, length in enumerate(lengths.tolist()):
        src[i, length - 1] = 2  # _eos_
        src[i, length:] = PAD
    return src, lengths


def test_int8_copy_quantises_linears_and_grus_and_leaves_the_float_model():
    model = _model()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    q = quantize_int8(model)
    for name in ("decoder.out", "decoder.l3", "decoder.attn.w1", "decoder.attn.l2", "encoder.to_dec"):
        assert isinstance(q.get_submodule(name), qd.Linear), name
        assert type(model.get_submodule(name)) is nn.Linear, name
    assert all(isinstance(rnn, qd.GRU) for rnns in q.encoder.rnns for rnn in rnns)
    assert len(q.decoder.step_cells) == 2 and all(isinstance(c, qd.GRUCell) for c in q.decoder.step_cells)
    assert model.decoder.step_cells is None
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


@pytest.mark.parametrize("attention", ["bahdanau", "luong", "none"])
def test_int8_scores_stay_close_to_the_float_ones(attention):
    model = _model(attention)
    q = quantize_int8(model)
    src, lengths = _batch()
    with torch.no_grad():
        tgt = torch.randint(4, 50, (src.size(0), 6))
        tokens = torch.zeros(src.size(0), dtype=torch.long)
        logits = []
        for m in (model, q):
            enc = m.encode(src, lengths)
            out, h, _ = m.decoder.step(tokens, enc.hidden, enc)
            out, _, _ = m.decoder.step(tgt[:, 0], h, enc)  # a second step: the int8 cells' state is fed back
            logits.append(m.decoder.project(out))  # (batch, vocab)
    diff = (logits[0] - logits[1]).abs().max() / logits[0].std()
    assert 0 < diff < 0.1  # quantised (not the same numbers), yet within a tenth of the logits' spread


def test_int8_greedy_equals_beam_1_and_mostly_matches_float():
    model = _model(scale=8.0)
    q = quantize_int8(model)
    src, lengths = _batch(n=32)
    float_out = [h.tokens for h in greedy(model, src, lengths)]
    int8_out = [h.tokens for h in greedy(q, src, lengths)]
    assert int8_out == [b[0].tokens for b in beam_search(q, src, lengths, beam=1)]
    assert sum(a == b for a, b in zip(float_out, int8_out)) >= 0.75 * len(float_out)
    hyps = beam_search(q, src, lengths, beam=4, n_best=2)
    assert all(len(h) == 2 and h[0].score >= h[1].score for h in hyps)


def test_int8_refuses_a_model_off_the_cpu():
    with pytest.raises(ConfigError, match="CPU only"):
        quantize_int8(Seq2Seq(ModelConfig(**SMALL), 20, 20).to("meta"))


def test_translator_loads_an_int8_copy(tmp_path, tiny_run):
    pairs = [("le chat est noir", "the cat is black"), ("le chien est blanc", "the dog is white")]
    tiny_run(tmp_path, pairs, model=SMALL)
    fp32 = Translator.load(tmp_path, device="cpu")
    int8 = Translator.load(tmp_path, int8=True)
    auto = Translator.load(tmp_path, device="cpu", int8=None)  # None: int8 when on the CPU (serve's default)
    assert fp32.model.decoder.step_cells is None
    assert int8.model.decoder.step_cells is not None and auto.model.decoder.step_cells is not None
    out = int8.translate(["le chat est noir", "", "le chien"], beam=2, attention=True)
    assert out[1].text == "" and out[0].tokens and len(out[0].attention) == len(out[0].tokens)
    assert all(len(row) == 4 for row in out[0].attention)  # one weight per source token
