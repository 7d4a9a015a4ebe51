import pytest
import torch

from wordbridge.text.vocab import EOS
from wordbridge.translate.config import ATTENTIONS, ModelConfig
from wordbridge.translate.decode import beam_search, greedy, max_lengths
from wordbridge.translate.loss import masked_cross_entropy
from wordbridge.translate.metrics import bleu
from wordbridge.translate.model import Seq2Seq


def tiny(attention, seed=0, **kw):
    torch.manual_seed(seed)
    cfg = ModelConfig(attention=attention, emb_size_src=12, emb_size_tgt=10, hidden=8, **kw)
    return Seq2Seq(cfg, 30, 25).eval()


def source():
    src = torch.tensor([[5, 6, 7, 8, 2], [9, 10, 2, 1, 1], [11, 2, 1, 1, 1]])
    return src, torch.tensor([5, 3, 2])


@pytest.mark.parametrize("attention", ATTENTIONS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_of_one_is_exactly_greedy(attention, seed):
    model = tiny(attention, seed)
    src, src_len = source()
    g = greedy(model, src, src_len)
    b = beam_search(model, src, src_len, beam=1, alpha=0.0)
    assert [h.tokens for h in g] == [hs[0].tokens for hs in b]
    for gh, bh in zip(g, b):
        assert bh[0].score == pytest.approx(gh.score, abs=1e-4)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_shapes_lengths_and_attention(attention):
    model = tiny(attention)
    src, src_len = source()
    limit = max_lengths(src_len, 1.0, 2).tolist()  # 7, 5, 4 tokens including _eos_
    for hyp, n, lim in zip(greedy(model, src, src_len, 1.0, 2), src_len.tolist(), limit):
        assert len(hyp.tokens) <= lim - 1 and EOS not in hyp.tokens
        if attention == "none":
            assert hyp.attention is None
        else:
            assert hyp.attention.shape == (len(hyp.tokens), n)
            assert torch.allclose(torch.tensor(hyp.attention.sum(1)), torch.ones(len(hyp.tokens)), atol=1e-5)


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_beam_n_best_sorted_and_shaped(attention):
    model = tiny(attention)
    src, src_len = source()
    out = beam_search(model, src, src_len, beam=4, n_best=3, len_a=1.0, len_b=2)
    assert len(out) == 3
    for hyps, n, lim in zip(out, src_len.tolist(), max_lengths(src_len, 1.0, 2).tolist()):
        assert len(hyps) == 3
        assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
        assert len({tuple(h.tokens) for h in hyps}) == 3  # distinct hypotheses
        for h in hyps:
            assert len(h.tokens) <= lim - 1
            assert (h.attention is None) == (attention == "none")
            if h.attention is not None:
                assert h.attention.shape == (len(h.tokens), n)
    with pytest.raises(ValueError):
        beam_search(model, src, src_len, beam=2, n_best=3)


def test_beam_finds_a_score_at_least_as_good_as_greedy():
    model = tiny("bahdanau", 3)
    src, src_len = source()
    g = greedy(model, src, src_len)
    b = beam_search(model, src, src_len, beam=5, alpha=0.0)
    for gh, bh in zip(g, b):
        assert bh[0].score >= gh.score - 1e-4


def test_tiny_model_overfits_twenty_pairs():
    """20 'sentences' over a small vocabulary: the target is the source mapped and reversed."""
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    rows, tgts = [], []
    for _ in range(20):
        n = int(torch.randint(3, 7, (1,), generator=gen))
        s = torch.randint(4, 20, (n,), generator=gen)
        rows.append(torch.cat([s, torch.tensor([EOS])]))
        tgts.append(torch.cat([(s + 3).flip(0), torch.tensor([EOS])]))
    src = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=1)
    tgt = torch.nn.utils.rnn.pad_sequence(tgts, batch_first=True, padding_value=1)
    src_len = torch.tensor([len(r) for r in rows])
    cfg = ModelConfig(attention="luong", emb_size_src=32, emb_size_tgt=32, hidden=32, emb_dropout=0.0,
                      enc_dropout=0.0, dec_dropout=0.0, out_dropout=0.0)
    model = Seq2Seq(cfg, 30, 30)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for steps in range(1, 151):  # the budget is counted in optimiser steps, not in wall-clock seconds
        loss = masked_cross_entropy(model(src, src_len, tgt), tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 0.02:
            break
    model.eval()
    hyps = [" ".join(map(str, h.tokens)) for h in greedy(model, src, src_len)]
    refs = [" ".join(map(str, t[:-1].tolist())) for t in tgts]
    assert bleu(hyps, refs) > 90
    assert loss.item() < 0.02 and steps < 150  # learnt well inside the budget (25 steps when written)
