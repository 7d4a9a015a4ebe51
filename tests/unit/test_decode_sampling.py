"""translate/decode.py `sample`: top-k / temperature sampling beside greedy and beam search."""

import pytest
import torch

from wordbridge.text.vocab import BOS, EOS, PAD
from wordbridge.translate.config import ATTENTIONS, ModelConfig
from wordbridge.translate.decode import Sampling, greedy, max_lengths, sample
from wordbridge.translate.model import Seq2Seq
from wordbridge.translate.translator import decode_rows


def tiny(attention="bahdanau", seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(ModelConfig(attention=attention, emb_size_src=12, emb_size_tgt=10, hidden=8), 30, 25).eval()


def source():
    return torch.tensor([[5, 6, 7, 8, 2], [9, 10, 2, 1, 1], [11, 2, 1, 1, 1]]), torch.tensor([5, 3, 2])


@pytest.mark.parametrize("attention", ATTENTIONS)
def test_top1_sampling_is_greedy(attention):
    model = tiny(attention)
    src, src_len = source()
    g = greedy(model, src, src_len)
    s = sample(model, src, src_len, topk=1, generator=torch.Generator().manual_seed(3))
    assert [h.tokens for h in s] == [h.tokens for h in g]
    assert [h.score for h in s] == pytest.approx([h.score for h in g], abs=1e-5)


def test_sampling_is_reproducible_varied_and_bounded():
    model = tiny()
    src, src_len = source()
    src, src_len = src.repeat(8, 1), src_len.repeat(8)  # 24 sentences
    runs = [sample(model, src, src_len, topk=0, temperature=1.5, generator=torch.Generator().manual_seed(s),
                   len_a=1.0, len_b=4) for s in (1, 1, 2)]
    tokens = [[tuple(h.tokens) for h in run] for run in runs]
    assert tokens[0] == tokens[1]  # same seed, same draws
    assert tokens[0] != tokens[2]  # another seed, other draws
    assert len(set(tokens[0][0::3])) > 1  # the same sentence sampled 8 times: not always the same output
    for hyp, lim in zip(runs[0], max_lengths(src_len, 1.0, 4).tolist()):
        assert len(hyp.tokens) <= lim - 1 and not {BOS, PAD, EOS} & set(hyp.tokens)
        assert hyp.score <= 0


def test_topk_restricts_the_choices():
    model = tiny()
    src, src_len = source()
    state = model.encode(src, src_len)
    logits, _, _ = model.step(torch.full((3,), BOS), state)
    logits[:, BOS] = logits[:, PAD] = float("-inf")
    top2 = logits.topk(2, -1).indices  # (3, 2) the two most likely first tokens of each sentence
    for seed in range(10):
        hyps = sample(model, src, src_len, topk=2, generator=torch.Generator().manual_seed(seed))
        for b, h in enumerate(hyps):
            assert (h.tokens[:1] or [EOS])[0] in top2[b].tolist()


def test_decode_rows_takes_sampling_and_bad_settings_fail():
    model = tiny()
    rows = [torch.tensor([5, 6, 2]).numpy(), torch.tensor([9, 2]).numpy()]
    a = decode_rows(model, rows, sampling=Sampling(topk=5, temperature=1.0, seed=7))
    b = decode_rows(model, rows, sampling=Sampling(topk=5, temperature=1.0, seed=7))
    assert [h.tokens for h in a] == [h.tokens for h in b]
    with pytest.raises(ValueError, match="temperature > 0"):
        sample(model, *source(), temperature=0.0)
