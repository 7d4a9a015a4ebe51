import pytest
import torch
from torch.nn import functional as F

from wordbridge.translate.loss import masked_cross_entropy, target_tokens


def test_padding_is_masked_out():
    tgt = torch.tensor([[5, 6, 2], [7, 2, 1]])  # second row padded with _pad_ = 1
    logits = torch.randn(5, 10)  # one row per non-pad token, row-major
    want = F.cross_entropy(logits, torch.tensor([5, 6, 2, 7, 2]))
    assert torch.allclose(masked_cross_entropy(logits, tgt), want)
    assert target_tokens(tgt).tolist() == [5, 6, 2, 7, 2]


def test_padding_never_changes_the_loss():
    logits = torch.randn(3, 10)
    short = torch.tensor([[4, 5, 2]])
    padded = torch.tensor([[4, 5, 2, 1, 1, 1]])
    assert torch.allclose(masked_cross_entropy(logits, short), masked_cross_entropy(logits, padded))


def test_count_mismatch_raises():
    with pytest.raises(ValueError):
        masked_cross_entropy(torch.randn(4, 10), torch.tensor([[4, 2, 1]]))


def test_bf16_logits_give_a_close_loss_and_gradients():
    torch.manual_seed(0)
    logits = (torch.randn(200, 50) * 3).requires_grad_()
    tgt = torch.randint(4, 50, (4, 50))
    want = masked_cross_entropy(logits, tgt)
    got = masked_cross_entropy(logits.bfloat16(), tgt)
    assert got.dtype == torch.float32
    assert abs(got.item() - want.item()) < 0.01 * want.item()
    got.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()


def test_label_smoothing_mixes_in_a_uniform_target():
    tgt = torch.tensor([[5, 6, 2], [7, 2, 1]])
    logits = torch.randn(5, 10)
    logp = F.log_softmax(logits, -1)
    targets = torch.tensor([5, 6, 2, 7, 2])
    nll = -logp.gather(1, targets[:, None]).squeeze(1)
    want = (0.9 * nll - 0.1 * logp.mean(-1)).mean()  # (1 - eps) one-hot + eps uniform
    assert torch.allclose(masked_cross_entropy(logits, tgt, label_smoothing=0.1), want, atol=1e-6)
    assert torch.allclose(masked_cross_entropy(logits, tgt, label_smoothing=0.0), nll.mean())
    bf16 = masked_cross_entropy(logits.bfloat16(), tgt, label_smoothing=0.1)  # the CPU bf16 path smooths too
    assert float(bf16) == pytest.approx(float(want), rel=0.02)


@pytest.mark.parametrize("arch", ["gru", "transformer"])
def test_evaluation_loss_in_chunks_equals_the_whole_logits_loss(arch):
    from types import SimpleNamespace

    from wordbridge.translate.config import ModelConfig, TransformerConfig
    from wordbridge.translate.loss import chunked_cross_entropy, make_batch_loss, target_tokens
    from wordbridge.translate.model import build_model

    torch.manual_seed(0)
    small = TransformerConfig(d_model=16, heads=2, ff_size=32, enc_layers=1, dec_layers=1)
    model = build_model(ModelConfig(arch=arch, emb_size_src=8, emb_size_tgt=8, hidden=8, transformer=small), 30, 40)
    model.eval()
    src = torch.randint(4, 30, (5, 7))
    tgt = torch.randint(4, 40, (5, 6))
    tgt[3, 4:] = 1  # padding
    tgt_len = (tgt != 1).sum(1)
    batch = SimpleNamespace(src=src, src_len=torch.full((5,), 7), tgt=tgt, tgt_len=tgt_len)
    with torch.no_grad():
        whole = masked_cross_entropy(model(src, batch.src_len, tgt), tgt)
        states = model.target_states(src, batch.src_len, tgt)
        chunked = chunked_cross_entropy(model.project, states, target_tokens(tgt), chunk=4)  # 28 tokens
        loss, n = make_batch_loss(None)(model, batch)
    torch.testing.assert_close(chunked / 28, whole)
    torch.testing.assert_close(loss, whole)
    assert int(n) == 28
