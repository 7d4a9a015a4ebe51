import torch

from wordbridge.translate.attention import BahdanauAttention, LuongAttention, masked_softmax


def _mask():
    return torch.tensor([[True, True, True, False], [True, False, False, False]])


def test_masked_softmax_zero_on_padding_and_sums_to_one():
    w = masked_softmax(torch.randn(2, 4), _mask())
    assert torch.all(w[~_mask()] == 0)
    assert torch.allclose(w.sum(-1), torch.ones(2))


def test_bahdanau_shapes_and_mask():
    torch.manual_seed(0)
    att = BahdanauAttention(enc_size=6, query_size=5, attn_size=7)
    enc = torch.randn(2, 4, 6)
    keys = att.project_keys(enc)
    assert keys.shape == (2, 4, 7)
    ctx, w = att(torch.randn(2, 5), keys, enc, _mask())
    assert ctx.shape == (2, 6) and w.shape == (2, 4)
    assert torch.all(w[~_mask()] == 0)
    # the second sentence has one real token: its context is that token's encoding
    assert torch.allclose(ctx[1], enc[1, 0], atol=1e-6)


def test_luong_whole_sequence_equals_step_by_step():
    torch.manual_seed(0)
    att = LuongAttention(enc_size=6, query_size=5)
    enc, q = torch.randn(2, 4, 6), torch.randn(2, 3, 5)
    out, w = att(q, enc, _mask())
    assert out.shape == (2, 3, 5) and w.shape == (2, 3, 4)
    for t in range(3):
        o_t, w_t = att(q[:, t : t + 1], enc, _mask())
        assert torch.allclose(o_t[:, 0], out[:, t], atol=1e-6)
        assert torch.allclose(w_t[:, 0], w[:, t], atol=1e-6)
    assert torch.all(w[~_mask().unsqueeze(1).expand(2, 3, 4)] == 0)
