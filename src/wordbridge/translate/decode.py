"""Decoding as pure functions over a Seq2Seq model: batched greedy and batched beam search.

Both stop each sentence at _eos_ or at a maximum output length relative to its input (`len_a * src_len + len_b`
tokens, _eos_ included), return the attention of every output token (rows) over the source (columns) for attention
models, and never change the model's mode: call `model.eval()` first.
Beam search keeps `beam` live hypotheses per sentence; a hypothesis ending in _eos_ is kept only when it ranks
among the `beam` best candidates (so beam=1 is exactly greedy), finished ones are ranked by score / length penalty
((5 + len) / 6) ** alpha, and a sentence is done when `beam` hypotheses have finished.
"""

import dataclasses

import numpy as np
import torch
from torch.nn import functional as F

from wordbridge.translate.model import BOS, EOS, Seq2Seq

PAD = 1


@dataclasses.dataclass
class Hypothesis:
    tokens: list[int]  # output ids without _eos_
    score: float  # sum of log-probabilities (beam: divided by the length penalty)
    attention: np.ndarray | None  # (len(tokens), src_len) for attention models


def max_lengths(src_len: torch.Tensor, len_a: float = 2.0, len_b: int = 10) -> torch.Tensor:
    """(batch,) maximum output lengths, _eos_ included."""
    return (src_len.float() * len_a).long() + len_b


def length_penalty(length: int, alpha: float) -> float:
    return ((5.0 + length) / 6.0) ** alpha


def _step_logits(model: Seq2Seq, tokens, h, enc):
    out, h, attn = model.decoder.step(tokens, h, enc)  # out: (rows, dim)
    logits = model.decoder.project(out).float()  # (rows, vocab)
    logits[:, BOS] = float("-inf")  # never generate _bos_ or _pad_
    logits[:, PAD] = float("-inf")
    return logits, h, attn


def _step_logp(model: Seq2Seq, tokens, h, enc):
    logits, h, attn = _step_logits(model, tokens, h, enc)
    return F.log_softmax(logits, dim=-1), h, attn


@torch.no_grad()
def greedy(model: Seq2Seq, src: torch.Tensor, src_len: torch.Tensor, len_a: float = 2.0,
           len_b: int = 10) -> list[Hypothesis]:
    """src: (batch, src_len) padded at the end -> one Hypothesis per sentence."""
    enc = model.encode(src, src_len)
    batch = src.size(0)
    limit = max_lengths(src_len, len_a, len_b).to(src.device)  # (batch,)
    tokens = torch.full((batch,), BOS, dtype=torch.long, device=src.device)
    h, done = enc.hidden, torch.zeros(batch, dtype=torch.bool, device=src.device)
    scores = torch.zeros(batch, device=src.device)
    steps, attns = [], []
    for t in range(int(limit.max())):
        logits, h, attn = _step_logits(model, tokens, h, enc)  # no full log-softmax: argmax + one logsumexp
        choice = logits.argmax(-1)  # (batch,)
        choice = torch.where(t >= limit - 1, torch.full_like(choice, EOS), choice)
        logp = logits.gather(1, choice[:, None]).squeeze(1) - torch.logsumexp(logits, dim=-1)  # (batch,)
        scores += torch.where(done, 0.0, logp)
        tokens = torch.where(done, torch.full_like(choice, PAD), choice)
        steps.append(tokens)
        if attn is not None:
            attns.append(attn.float())
        done = done | (tokens == EOS)
        if bool(done.all()):
            break
    out = torch.stack(steps, 1).tolist()  # (batch, steps)
    att = torch.stack(attns, 1).cpu().numpy() if attns else None  # (batch, steps, src_len)
    hyps = []
    for b in range(batch):
        n = out[b].index(EOS) if EOS in out[b] else len(out[b])
        a = None if att is None else att[b, :n, : int(src_len[b])]
        hyps.append(Hypothesis(tokens=out[b][:n], score=float(scores[b]), attention=a))
    return hyps


@torch.no_grad()
def beam_search(model: Seq2Seq, src: torch.Tensor, src_len: torch.Tensor, beam: int = 5, n_best: int = 1,
                alpha: float = 1.0, len_a: float = 2.0, len_b: int = 10) -> list[list[Hypothesis]]:
    """-> for each sentence, its n_best finished hypotheses, best first."""
    if not 1 <= n_best <= beam:
        raise ValueError(f"n_best must be in [1, beam={beam}], got {n_best}")
    batch, k, dev = src.size(0), beam, src.device
    rows = torch.arange(batch, device=dev).repeat_interleave(k)  # (batch*k,)
    enc = model.encode(src, src_len).index_select(rows)
    limit = max_lengths(src_len, len_a, len_b).to(dev)  # (batch,)
    scores = torch.full((batch, k), float("-inf"), device=dev)
    scores[:, 0] = 0.0  # only the first beam is alive at the start
    tokens = torch.full((batch * k,), BOS, dtype=torch.long, device=dev)
    h, hist, att_hist = enc.hidden, torch.zeros(batch * k, 0, dtype=torch.long, device=dev), None
    finished: list[list[tuple[float, list[int], np.ndarray | None]]] = [[] for _ in range(batch)]
    done = torch.zeros(batch, dtype=torch.bool)
    base = (torch.arange(batch, device=dev) * k).unsqueeze(1)  # (batch, 1)
    for t in range(int(limit.max())):
        logp, h, attn = _step_logp(model, tokens, h, enc)  # (batch*k, vocab)
        vocab = logp.size(1)
        last = (t >= limit - 1).repeat_interleave(k).unsqueeze(1)  # (batch*k, 1): only _eos_ allowed
        logp = torch.where(last & (torch.arange(vocab, device=dev) != EOS), float("-inf"), logp)
        cand = (scores.view(-1, 1) + logp).view(batch, k * vocab)  # (batch, k*vocab)
        top_s, top_i = cand.topk(2 * k, dim=1)  # (batch, 2k)
        src_beam, tok = top_i // vocab, top_i % vocab
        is_eos = tok == EOS
        if attn is not None:
            att_hist = attn.float().unsqueeze(1) if att_hist is None else torch.cat([att_hist, attn.float()[:, None]], 1)
        _collect(finished, done, is_eos, top_s, src_beam, base, hist, att_hist, k, t, alpha)
        order = torch.sort(is_eos.int(), dim=1, stable=True).indices[:, :k]  # first k non-eos candidates
        scores = top_s.gather(1, order)
        flat = (base + src_beam.gather(1, order)).view(-1)  # (batch*k,) rows they extend
        tokens = tok.gather(1, order).view(-1)
        h = h.index_select(1, flat)
        hist = torch.cat([hist.index_select(0, flat), tokens[:, None]], 1)
        att_hist = None if att_hist is None else att_hist.index_select(0, flat)
        done |= torch.tensor([len(f) >= k for f in finished])
        if bool(done.all()):
            break
    return [_best(finished[b], n_best, int(src_len[b])) for b in range(batch)]


def _collect(finished, done, is_eos, top_s, src_beam, base, hist, att_hist, k, t, alpha) -> None:
    """Record hypotheses ending in _eos_ among the k best candidates of sentences not yet done."""
    hits = (is_eos[:, :k] & torch.isfinite(top_s[:, :k])).nonzero().tolist()
    for b, j in hits:
        if done[b] or len(finished[b]) >= k:
            continue
        row = int(base[b, 0] + src_beam[b, j])
        att = None if att_hist is None else att_hist[row, :t].cpu().numpy()
        finished[b].append((float(top_s[b, j]) / length_penalty(t + 1, alpha), hist[row].tolist(), att))


def _best(found, n_best: int, src_len: int) -> list[Hypothesis]:
    found = sorted(found, key=lambda f: -f[0])[:n_best]
    return [Hypothesis(tokens=toks, score=s, attention=None if a is None else a[:, :src_len]) for s, toks, a in found]
