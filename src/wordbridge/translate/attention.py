"""Attention modules: Bahdanau (additive, the lesson's, feeds the decoder input) and Luong (after the RNN).

Shapes: batch-first. `enc_out`: (batch, src_len, enc_size); `mask`: (batch, src_len) bool, True at real tokens.
"""

import math

import torch
from torch import nn
from torch.nn import functional as F


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Softmax over the last dim with padding positions set to zero weight.

    scores: (..., src_len); mask broadcastable to it (True = keep).
    """
    scores = scores.masked_fill(~mask, float("-inf"))
    return F.softmax(scores, dim=-1)


class BahdanauAttention(nn.Module):
    """The lesson's additive attention: a = softmax(V . tanh(W1 enc_out + l2 h)), context = sum a * enc_out.

    `keys` = W1 enc_out is computed once per batch (`project_keys`), not once per decoder step.
    """

    def __init__(self, enc_size: int, query_size: int, attn_size: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(enc_size, attn_size, bias=False)
        self.l2 = nn.Linear(query_size, attn_size)
        self.v = nn.Parameter(torch.randn(attn_size) / math.sqrt(attn_size))

    def project_keys(self, enc_out: torch.Tensor) -> torch.Tensor:
        return self.w1(enc_out)  # (batch, src_len, attn)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, enc_out: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query: (batch, query_size) -> context (batch, enc_size), weights (batch, src_len)."""
        u = torch.tanh(keys + self.l2(query).unsqueeze(1))  # (batch, src_len, attn)
        weights = masked_softmax(u @ self.v, mask)  # (batch, src_len)
        context = torch.bmm(weights.unsqueeze(1), enc_out).squeeze(1)  # (batch, enc_size)
        return context, weights


class LuongAttention(nn.Module):
    """Luong 'general' attention applied after the decoder RNN, over one step or a whole sequence at once.

    score = (W_a q) . enc_out ; context = sum a * enc_out ; output = tanh(W_c [context; q]).
    """

    def __init__(self, enc_size: int, query_size: int) -> None:
        super().__init__()
        self.w_a = nn.Linear(query_size, enc_size, bias=False)
        self.w_c = nn.Linear(enc_size + query_size, query_size, bias=False)

    def forward(
        self, query: torch.Tensor, enc_out: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query: (batch, tgt_len, query_size) -> output (batch, tgt_len, query_size), weights (batch, tgt_len, src_len)."""
        scores = torch.bmm(self.w_a(query), enc_out.transpose(1, 2))  # (batch, tgt_len, src_len)
        weights = masked_softmax(scores, mask.unsqueeze(1))  # (batch, tgt_len, src_len)
        context = torch.bmm(weights, enc_out)  # (batch, tgt_len, enc_size)
        output = torch.tanh(self.w_c(torch.cat([context, query], dim=-1)))  # (batch, tgt_len, query_size)
        return output, weights
