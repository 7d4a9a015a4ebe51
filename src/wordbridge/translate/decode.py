"""Decoding as pure functions over any model with the `Decodable` interface: batched greedy, sampling and beam search.

A model decodes through two methods: `encode(src, src_len) -> state` and `step(tokens, state) -> (logits (rows,
vocab), state, attention (rows, src_len) | None)`. A state has `index_select(rows)` (keep/repeat whole rows: a
sentence per beam, finished sentences leaving) and `reorder(rows)` (beam search moving hypotheses within their
sentence: only the hypothesis-dependent part, e.g. a GRU state or a Transformer's key/value cache, is copied).

Both stop each sentence at _eos_ or at a maximum output length relative to its input (`len_a * src_len + len_b`
tokens, _eos_ included), return the attention of every output token (rows) over the source (columns) for attention
models, and never change the model's mode: call `model.eval()` first.
Beam search keeps `beam` live hypotheses per sentence; a hypothesis ending in _eos_ is kept only when it ranks
among the `beam` best candidates (so beam=1 is exactly greedy), finished ones are ranked by score / length penalty
((5 + len) / 6) ** alpha, and a sentence is done when `beam` hypotheses have finished.
Sampling (`sample`, for back-translation: Edunov et al. 2018) draws each token from softmax(logits / temperature)
restricted to the `topk` most likely tokens (0: all), from a given torch.Generator (reproducible); topk=1 is greedy.
"""

import dataclasses
from typing import Any, Protocol

import numpy as np
import torch

from wordbridge.text.vocab import BOS, EOS, PAD


class DecodeState(Protocol):
    def index_select(self, index: torch.Tensor) -> "DecodeState": ...

    def reorder(self, index: torch.Tensor) -> "DecodeState": ...


class Decodable(Protocol):
    def encode(self, src: torch.Tensor, src_len: torch.Tensor) -> Any: ...

    def step(self, tokens: torch.Tensor, state: Any) -> tuple[torch.Tensor, Any, torch.Tensor | None]: ...


@dataclasses.dataclass(frozen=True)
class Sampling:
    """Settings of `sample`: top-k (0: the whole vocabulary), temperature, and the seed of the generator."""

    topk: int = 10
    temperature: float = 1.0
    seed: int = 0


@dataclasses.dataclass
class Hypothesis:
    tokens: list[int]  # output ids without _eos_
    score: float  # sum of log-probabilities (beam: divided by the length penalty)
    attention: np.ndarray | None  # (len(tokens), src_len) for attention models


def max_lengths(src_len: torch.Tensor, len_a: float = 2.0, len_b: int = 10) -> torch.Tensor:
    """(batch,) maximum output lengths, _eos_ included."""
    return (src_len.float() * len_a).long() + len_b


def _limits(model: Decodable, src_len: torch.Tensor, len_a: float, len_b: int) -> torch.Tensor:
    """max_lengths, capped by the model's longest output (`max_output_len`, e.g. a position table) when it has one."""
    limit = max_lengths(src_len, len_a, len_b)
    cap = getattr(model, "max_output_len", None)
    return limit if cap is None else limit.clamp(max=cap)


def length_penalty(length: int, alpha: float) -> float:
    return ((5.0 + length) / 6.0) ** alpha


def _step_logits(model: Decodable, tokens: torch.Tensor, state):
    logits, state, attn = model.step(tokens, state)
    logits = logits.float()  # (rows, vocab)
    logits[:, BOS] = float("-inf")  # never generate _bos_ or _pad_
    logits[:, PAD] = float("-inf")
    return logits, state, attn


def _argmax(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return logits.max(-1)  # (row max, choice): one pass for both


@torch.no_grad()
def greedy(model: Decodable, src: torch.Tensor, src_len: torch.Tensor, len_a: float = 2.0,
           len_b: int = 10) -> list[Hypothesis]:
    """src: (batch, src_len) padded at the end -> one Hypothesis per sentence.

    Finished sentences leave the batch: each step runs the decoder on the unfinished rows only.
    """
    return _stepwise(model, src, src_len, _argmax, len_a, len_b)


@torch.no_grad()
def sample(model: Decodable, src: torch.Tensor, src_len: torch.Tensor, topk: int = 10, temperature: float = 1.0,
           generator: torch.Generator | None = None, len_a: float = 2.0, len_b: int = 10) -> list[Hypothesis]:
    """Like greedy, but each token is drawn from the top-k of softmax(logits / temperature); the score is the
    log-probability under the model's own distribution."""
    if topk < 0 or temperature <= 0:
        raise ValueError(f"sampling needs topk >= 0 and temperature > 0, got {topk}, {temperature}")

    def draw(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scaled = logits / temperature  # (rows, vocab)
        if 0 < topk < scaled.size(1):
            kth = scaled.topk(topk, dim=-1).values[:, -1:]  # (rows, 1)
            scaled = scaled.masked_fill(scaled < kth, float("-inf"))
        choice = torch.multinomial(scaled.softmax(-1), 1, generator=generator).squeeze(1)  # (rows,)
        return logits.amax(-1), choice

    return _stepwise(model, src, src_len, draw, len_a, len_b)


def _stepwise(model: Decodable, src: torch.Tensor, src_len: torch.Tensor, pick, len_a: float,
              len_b: int) -> list[Hypothesis]:
    """One token per step for every unfinished sentence; pick(logits) -> (row max, chosen token) per row."""
    state = model.encode(src, src_len)
    batch, dev = src.size(0), src.device
    limit = _limits(model, src_len, len_a, len_b).to(dev)  # (batch,)
    n_steps = int(limit.max())
    out = torch.full((batch, n_steps), PAD, dtype=torch.long, device=dev)
    att = None  # (batch, n_steps, src_len) for attention models
    scores = torch.zeros(batch, device=dev)
    rows = torch.arange(batch, device=dev)  # original index of each unfinished row
    tokens = torch.full((batch,), BOS, dtype=torch.long, device=dev)
    for t in range(n_steps):
        logits, state, attn = _step_logits(model, tokens, state)  # (rows, vocab)
        best, choice = pick(logits)  # (rows,): the max for the log-sum-exp, the token taken
        last = t >= limit[rows] - 1  # out of length: _eos_ is forced
        choice = torch.where(last, torch.full_like(choice, EOS), choice)
        chosen = logits.gather(1, choice[:, None]).squeeze(1)
        lse = _logsumexp(logits, best[:, None]).squeeze(1)
        scores.index_add_(0, rows, chosen - lse)
        out[rows, t] = choice
        if attn is not None:
            att = torch.zeros(batch, n_steps, attn.size(-1), device=dev) if att is None else att
            att[rows, t] = attn.float()
        live = choice != EOS
        if not bool(live.any()):
            break
        if not bool(live.all()):  # drop the rows that just finished
            keep = live.nonzero().squeeze(1)
            rows, choice, state = rows[keep], choice[keep], state.index_select(keep)
        tokens = choice
    out_rows = out.tolist()
    att_np = None if att is None else att.cpu().numpy()
    hyps = []
    for b in range(batch):
        n = out_rows[b].index(EOS) if EOS in out_rows[b] else n_steps
        a = None if att_np is None else att_np[b, :n, : int(src_len[b])]
        hyps.append(Hypothesis(tokens=out_rows[b][:n], score=float(scores[b]), attention=a))
    return hyps


@torch.no_grad()
def beam_search(model: Decodable, src: torch.Tensor, src_len: torch.Tensor, beam: int = 5, n_best: int = 1,
                alpha: float = 1.0, len_a: float = 2.0, len_b: int = 10) -> list[list[Hypothesis]]:
    """-> for each sentence, its n_best finished hypotheses, best first.

    A sentence leaves the batch (its `beam` rows with it) as soon as `beam` of its hypotheses have finished.
    """
    if not 1 <= n_best <= beam:
        raise ValueError(f"n_best must be in [1, beam={beam}], got {n_best}")
    batch, k, dev = src.size(0), beam, src.device
    state = model.encode(src, src_len).index_select(torch.arange(batch, device=dev).repeat_interleave(k))
    limit = _limits(model, src_len, len_a, len_b).to(dev)  # (live,) for the sentences still in the batch
    scores = torch.full((batch, k), float("-inf"), device=dev)
    scores[:, 0] = 0.0  # only the first beam is alive at the start
    tokens = torch.full((batch * k,), BOS, dtype=torch.long, device=dev)
    hist, att_hist = torch.zeros(batch * k, 0, dtype=torch.long, device=dev), None
    finished: list[list[tuple[float, list[int], np.ndarray | None]]] = [[] for _ in range(batch)]
    live = list(range(batch))  # original index of each sentence still in the batch
    for t in range(int(limit.max())):
        n = len(live)
        logits, state, attn = _step_logits(model, tokens, state)  # (n*k, vocab)
        vocab = logits.size(1)
        cand = _extend(logits, scores.view(-1, 1), (t >= limit - 1).repeat_interleave(k))
        top_s, top_i = cand.view(n, k * vocab).topk(2 * k, dim=1)  # (n, 2k) best one-token extensions
        src_beam, tok = top_i // vocab, top_i % vocab
        is_eos = tok == EOS
        if attn is not None:
            att_hist = attn.float().unsqueeze(1) if att_hist is None else torch.cat([att_hist, attn.float()[:, None]], 1)
        found = [finished[s] for s in live]
        _collect(found, is_eos, top_s, src_beam, hist, att_hist, k, t, alpha)
        order = torch.sort(is_eos.int(), dim=1, stable=True).indices[:, :k]  # first k non-eos candidates
        scores = top_s.gather(1, order)
        from_beam, tokens = src_beam.gather(1, order), tok.gather(1, order)  # (n, k): beam extended, its token
        going = [i for i, f in enumerate(found) if len(f) < k]
        if not going:
            break
        if len(going) < n:  # drop the sentences that are done, with their k rows
            keep = torch.tensor(going, device=dev)
            keep_rows = (keep[:, None] * k + torch.arange(k, device=dev)).view(-1)
            live, limit, scores, from_beam, tokens = [live[i] for i in going], limit[keep], scores[keep], \
                from_beam[keep], tokens[keep]
            state, hist = state.index_select(keep_rows), hist.index_select(0, keep_rows)
            att_hist = None if att_hist is None else att_hist.index_select(0, keep_rows)
        flat = (torch.arange(len(live), device=dev)[:, None] * k + from_beam).view(-1)  # (rows,) rows they extend
        tokens = tokens.view(-1)
        state = state.reorder(flat)
        hist = torch.cat([hist.index_select(0, flat), tokens[:, None]], 1)
        att_hist = None if att_hist is None else att_hist.index_select(0, flat)
    return [_best(finished[b], n_best, int(src_len[b])) for b in range(batch)]


def _logsumexp(logits: torch.Tensor, top: torch.Tensor) -> torch.Tensor:
    """(rows, 1) log-sum-exp of logits (rows, vocab) given each row's max `top` (rows, 1): one temporary."""
    return top + (logits - top).exp_().sum(-1, keepdim=True).log_()


def _extend(logits: torch.Tensor, scores: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """scores (rows, 1) + log-softmax(logits) (rows, vocab), computed in place in `logits`; rows flagged in `last`
    (rows,) may only end (_eos_). Avoids full-size temporaries: this runs on every step of every beam."""
    lse = _logsumexp(logits, logits.amax(-1, keepdim=True))
    cand = logits.add_(scores - lse)
    if bool(last.any()):
        r = last.nonzero().squeeze(1)
        eos = cand[r, EOS].clone()
        cand[r] = float("-inf")
        cand[r, EOS] = eos
    return cand


def _collect(found, is_eos, top_s, src_beam, hist, att_hist, k, t, alpha) -> None:
    """Record hypotheses ending in _eos_ among the k best candidates of each sentence (found[b]: its finished list)."""
    hits = (is_eos[:, :k] & torch.isfinite(top_s[:, :k])).nonzero().tolist()
    for b, j in hits:
        if len(found[b]) >= k:
            continue
        row = b * k + int(src_beam[b, j])
        att = None if att_hist is None else att_hist[row, :t].cpu().numpy()
        found[b].append((float(top_s[b, j]) / length_penalty(t + 1, alpha), hist[row].tolist(), att))


def _best(found, n_best: int, src_len: int) -> list[Hypothesis]:
    found = sorted(found, key=lambda f: -f[0])[:n_best]
    return [Hypothesis(tokens=toks, score=s, attention=None if a is None else a[:, :src_len]) for s, toks, a in found]
