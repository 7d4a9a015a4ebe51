import itertools

import numpy as np
import pytest
import torch

from wordbridge.errors import ConfigError
from wordbridge.translate.config import ModelConfig, TeacherForcing
from wordbridge.translate.loss import masked_cross_entropy
from wordbridge.translate.model import Seq2Seq

VARIANTS = list(itertools.product(("none", "bahdanau", "luong"), (False, True)))


def tiny(attention="bahdanau", bidirectional=True, **kw):
    cfg = ModelConfig(attention=attention, bidirectional=bidirectional, emb_size_src=12, emb_size_tgt=10, hidden=8, **kw)
    return Seq2Seq(cfg, 30, 25)


def batch():
    src = torch.tensor([[5, 6, 7, 8, 2], [9, 10, 2, 1, 1], [11, 2, 1, 1, 1]])
    src_len = torch.tensor([5, 3, 2])
    tgt = torch.tensor([[4, 5, 6, 2], [7, 2, 1, 1], [8, 9, 2, 1]])
    return src, src_len, tgt


@pytest.mark.parametrize("attention,bidirectional", VARIANTS)
@pytest.mark.parametrize("pr_force", [1.0, 0.5, 0.0])
def test_logits_only_at_non_pad_positions(attention, bidirectional, pr_force):
    torch.manual_seed(0)
    model = tiny(attention, bidirectional)
    src, src_len, tgt = batch()
    logits = model(src, src_len, tgt, pr_force)
    assert logits.shape == (int((tgt != 1).sum()), 25)
    loss = masked_cross_entropy(logits, tgt)
    loss.backward()
    assert torch.isfinite(loss)
    assert model.encoder.emb.weight.grad is not None


@pytest.mark.parametrize("attention,bidirectional", VARIANTS)
def test_fast_teacher_forced_path_equals_step_loop(attention, bidirectional):
    torch.manual_seed(0)
    model = tiny(attention, bidirectional).eval()
    src, src_len, tgt = batch()
    enc = model.encode(src, src_len)
    tgt_in = torch.cat([torch.zeros_like(tgt[:, :1]), tgt[:, :-1]], 1)
    fast = model.decoder.states(tgt_in, enc, 1.0)
    slow = model.decoder._sampled(tgt_in, enc, 1.0)  # forced on every step, one step at a time
    assert fast.shape == (3, 4, 10)
    assert torch.allclose(fast, slow, atol=1e-5)


@pytest.mark.parametrize("attention", ["none", "bahdanau", "luong"])
def test_step_loop_sparse_embedding_gradients_equal_dense_ones(attention, monkeypatch):
    """The per-step loop looks the decoder embedding up sparsely and densifies once: same gradients as dense."""
    from wordbridge.translate import decoder as dec

    def grads():
        torch.manual_seed(0)
        model = tiny(attention).train()
        src, src_len, tgt = batch()
        torch.manual_seed(1)
        masked_cross_entropy(model(src, src_len, tgt, 0.5), tgt).backward()
        return {n: p.grad for n, p in model.named_parameters()}

    sparse = grads()
    dense_embedding = dec.F.embedding
    monkeypatch.setattr(dec.F, "embedding", lambda *a, sparse=False, **kw: dense_embedding(*a, **kw))
    dense = grads()
    assert not sparse["decoder.emb.weight"].is_sparse and sparse["decoder.emb.weight"].abs().sum() > 0
    for name, g in dense.items():
        assert torch.allclose(sparse[name], g, atol=1e-6), name


def test_padding_in_source_does_not_change_encoding():
    torch.manual_seed(0)
    model = tiny("luong").eval()
    src, src_len, _ = batch()
    out, h = model.encoder(src, src_len)
    out1, h1 = model.encoder(src[1:2, :3], src_len[1:2])
    assert torch.allclose(out[1, :3], out1[0], atol=1e-5)
    assert torch.allclose(h[:, 1], h1[:, 0], atol=1e-5)
    assert torch.all(out[1, 3:] == 0)


def test_one_training_step_lowers_the_loss():
    torch.manual_seed(0)
    model = tiny("bahdanau", emb_dropout=0.0, enc_dropout=0.0, dec_dropout=0.0, out_dropout=0.0)
    src, src_len, tgt = batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    before = masked_cross_entropy(model(src, src_len, tgt), tgt)
    before.backward()
    opt.step()
    after = masked_cross_entropy(model(src, src_len, tgt), tgt)
    assert after.item() < before.item()


def test_output_tied_to_decoder_embedding_and_rebuilt_from_args():
    model = tiny()
    assert model.decoder.out.weight is model.decoder.emb.weight
    again = Seq2Seq.from_args(model.model_args())
    assert again.cfg == model.cfg
    again.load_state_dict(model.state_dict())


def test_embeddings_scaled_and_pad_row_zero():
    model = tiny(emb_std=None)
    src = np.ones((30, 12), dtype=np.float32)
    model.load_embeddings(src, None)
    w = model.encoder.emb.weight
    assert torch.all(w[1] == 0) and torch.allclose(w[5], torch.full((12,), 3.0))
    model = tiny()  # default: rescaled to std 0.3 first, then x3
    model.load_embeddings(np.random.default_rng(0).normal(0, 5.0, (30, 12)).astype(np.float32), None)
    assert float(model.encoder.emb.weight.detach()[2:].std()) == pytest.approx(0.9, rel=0.05)
    with pytest.raises(ValueError):
        model.load_embeddings(np.ones((29, 12), dtype=np.float32), None)


def test_invalid_attention_lists_valid_choices():
    with pytest.raises(ConfigError, match="Valid: bahdanau, luong, none"):
        ModelConfig(attention="foo")


def test_teacher_forcing_schedule_is_linear_to_zero_by_epoch_10():
    tf = TeacherForcing()
    assert tf.pr_force(0) == 1.0 and tf.pr_force(5) == pytest.approx(0.5) and tf.pr_force(12) == 0.0
