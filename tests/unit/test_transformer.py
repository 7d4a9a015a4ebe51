"""The Transformer member of the model family: shapes, masks, the key/value-cached `step` against the training
forward, greedy/beam over the shared encode/step interface, heatmaps, vector initialisation, config checks."""

import numpy as np
import pytest
import torch

from wordbridge.errors import ConfigError
from wordbridge.text.vocab import EOS, PAD
from wordbridge.translate.config import ModelConfig, TransformerConfig
from wordbridge.translate.decode import beam_search, greedy
from wordbridge.translate.loss import masked_cross_entropy
from wordbridge.translate.metrics import bleu
from wordbridge.translate.model import Seq2Seq, build_model, model_from_args
from wordbridge.translate.transformer import Transformer


def tiny(seed=0, dropout=0.0, **kw):
    torch.manual_seed(seed)
    t = TransformerConfig(d_model=16, heads=2, ff_size=32, enc_layers=2, dec_layers=2, dropout=dropout,
                          attn_dropout=dropout, **kw)
    return Transformer(ModelConfig(arch="transformer", transformer=t), 30, 25).eval()


def source():
    src = torch.tensor([[5, 6, 7, 8, 2], [9, 10, 2, 1, 1], [11, 2, 1, 1, 1]])
    return src, torch.tensor([5, 3, 2])


def target():
    return torch.tensor([[4, 5, 6, 2], [7, 2, 1, 1], [8, 9, 10, 2]])


def test_build_model_picks_the_arch_and_checkpoint_args_rebuild_it():
    gru = build_model(ModelConfig(emb_size_src=8, emb_size_tgt=8, hidden=8), 30, 25)
    model = tiny()
    assert isinstance(gru, Seq2Seq) and isinstance(model, Transformer)
    again = model_from_args(model.model_args())
    assert isinstance(again, Transformer) and again.tcfg == model.tcfg
    assert model.out.weight is model.tgt_emb.weight  # tied output
    old = gru.model_args()
    del old["config"]["arch"], old["config"]["transformer"]  # a checkpoint from before model.arch existed
    assert isinstance(model_from_args(old), Seq2Seq)


def test_forward_gives_logits_at_non_pad_targets_and_trains():
    model = tiny().train()
    src, src_len = source()
    tgt = target()
    logits = model(src, src_len, tgt)
    assert logits.shape == (int((tgt != PAD).sum()), 25)
    masked_cross_entropy(logits, tgt).backward()
    assert model.src_emb.weight.grad is not None and model.dec_layers[0].cross.kv.weight.grad is not None


@torch.no_grad()
def test_cached_steps_reproduce_the_training_forward():
    model = tiny(1)
    src, src_len = source()
    tgt = target()
    full = model(src, src_len, tgt)  # (n_tokens, vocab), teacher forced
    state = model.encode(src, src_len)
    tgt_in = torch.cat([torch.zeros(3, 1, dtype=torch.long), tgt[:, :-1]], 1)
    steps = []
    for t in range(tgt.size(1)):
        logits, state, attn = model.step(tgt_in[:, t], state)
        steps.append(logits)
        assert attn.shape == (3, 5)
        assert torch.allclose(attn.sum(-1), torch.ones(3), atol=1e-5)
        assert float(attn[1, 3:].abs().sum()) == 0.0  # no attention on padding
    torch.testing.assert_close(torch.stack(steps, 1)[tgt != PAD], full, rtol=1e-4, atol=1e-5)


def test_padding_does_not_change_a_sentence():
    model = tiny(2)
    src, src_len = source()
    alone = model.step(torch.zeros(1, dtype=torch.long), model.encode(src[2:3, :2], src_len[2:]))[0]
    batched = model.step(torch.zeros(3, dtype=torch.long), model.encode(src, src_len))[0]
    torch.testing.assert_close(batched[2:3], alone, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_of_one_is_greedy_and_heatmaps_have_the_right_shape(seed):
    model = tiny(seed)
    src, src_len = source()
    g = greedy(model, src, src_len, 1.0, 2)
    b = beam_search(model, src, src_len, beam=1, alpha=0.0, len_a=1.0, len_b=2)
    assert [h.tokens for h in g] == [hs[0].tokens for hs in b]
    for hyp, n in zip(g, src_len.tolist()):
        assert EOS not in hyp.tokens
        assert hyp.attention.shape == (len(hyp.tokens), n)
        assert np.allclose(hyp.attention.sum(1), 1.0, atol=1e-5)


def test_beam_returns_sorted_distinct_hypotheses():
    model = tiny(3)
    src, src_len = source()
    out = beam_search(model, src, src_len, beam=4, n_best=3, len_a=1.0, len_b=2)
    for hyps, n in zip(out, src_len.tolist()):
        assert [h.score for h in hyps] == sorted((h.score for h in hyps), reverse=True)
        assert len({tuple(h.tokens) for h in hyps}) == 3
        assert all(h.attention.shape == (len(h.tokens), n) for h in hyps)
    g = greedy(model, src, src_len)
    for gh, bh in zip(g, beam_search(model, src, src_len, beam=5, alpha=0.0)):
        assert bh[0].score >= gh.score - 1e-4


def test_outputs_stop_at_the_position_table():
    model = tiny(4, max_positions=6)
    with torch.no_grad():
        model.out.bias[EOS] = -50.0  # never _eos_: decoding runs to the maximum length
    src, src_len = source()
    for hyp in greedy(model, src, src_len):  # 2 * len + 10 > 6 positions
        assert len(hyp.tokens) == 5


def test_tiny_transformer_overfits_twenty_pairs():
    """20 'sentences' over a small vocabulary: the target is the source mapped and reversed."""
    gen = torch.Generator().manual_seed(0)
    rows, tgts = [], []
    for _ in range(20):
        n = int(torch.randint(3, 7, (1,), generator=gen))
        s = torch.randint(4, 20, (n,), generator=gen)
        rows.append(torch.cat([s, torch.tensor([EOS])]))
        tgts.append(torch.cat([(s + 3).flip(0), torch.tensor([EOS])]))
    src = torch.nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=PAD)
    tgt = torch.nn.utils.rnn.pad_sequence(tgts, batch_first=True, padding_value=PAD)
    src_len = torch.tensor([len(r) for r in rows])
    torch.manual_seed(0)
    t = TransformerConfig(d_model=32, heads=4, ff_size=64, enc_layers=2, dec_layers=2, dropout=0.0, attn_dropout=0.0)
    model = Transformer(ModelConfig(arch="transformer", transformer=t), 30, 30)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(300):
        loss = masked_cross_entropy(model(src, src_len, tgt), tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if loss.item() < 0.02:
            break
    model.eval()
    hyps = [" ".join(map(str, h.tokens)) for h in greedy(model, src, src_len)]
    refs = [" ".join(map(str, x[:-1].tolist())) for x in tgts]
    assert bleu(hyps, refs) > 90


def test_word_vectors_initialise_embeddings_when_sizes_allow():
    model = tiny()
    src = np.random.default_rng(0).normal(0, 2.0, (30, 16)).astype(np.float32)
    wrong = np.ones((25, 300), dtype=np.float32)
    before = model.tgt_emb.weight.detach().clone()
    model.load_embeddings(src, wrong)
    w = model.src_emb.weight.detach()
    assert float(w[PAD].abs().sum()) == 0.0
    assert float(w[2:].std()) == pytest.approx(16 ** -0.5, rel=0.1)  # rescaled to the init std
    assert np.corrcoef(w[5].numpy(), src[5])[0, 1] > 0.999
    assert torch.equal(model.tgt_emb.weight.detach(), before)  # 300-d vectors do not fit d_model 16: left random


def test_config_checks():
    with pytest.raises(ConfigError, match="arch"):
        ModelConfig(arch="lstm")
    with pytest.raises(ConfigError, match="multiple of heads"):
        TransformerConfig(d_model=30, heads=4)
    with pytest.raises(ConfigError, match="dropout"):
        TransformerConfig(dropout=1.0)


def test_tied_embeddings_share_one_table_and_need_one_vocabulary():
    t = TransformerConfig(d_model=16, heads=2, ff_size=32, enc_layers=1, dec_layers=1)
    model = Transformer(ModelConfig(arch="transformer", tie_embeddings=True, transformer=t), 30, 30)
    assert model.src_emb.weight is model.tgt_emb.weight is model.out.weight
    again = model_from_args(model.model_args())  # a checkpoint rebuilds the tied model
    again.load_state_dict(model.state_dict())
    assert again.src_emb.weight is again.tgt_emb.weight
    src, src_len = source()
    model.train()(src, src_len, target()).sum().backward()  # both sides' gradients land in the one table
    assert model.tgt_emb.weight.grad[11].abs().sum() > 0  # id 11 is only a source token here
    with pytest.raises(ConfigError, match="shared_pieces"):
        Transformer(ModelConfig(arch="transformer", tie_embeddings=True, transformer=t), 30, 25)
    with pytest.raises(ConfigError, match="tie_embeddings is for model.arch transformer only"):
        ModelConfig(tie_embeddings=True)
