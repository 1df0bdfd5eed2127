"""BPR, the binary passage retriever (Yamada, Asai & Hajishirzi, ACL 2021, "Efficient Passage
Retrieval with Hashing for Open-domain Question Answering").

An encoder's vector ``e`` becomes the binary code ``sign(e)`` in ``{-1, +1}^bits``. Retrieval has
two stages: candidates by Hamming distance between the query's code and the passages' codes, then
the candidates re-scored by the inner product of the *continuous* query ``e_q`` with each
candidate's code (``wenda.index.vectors.BinaryCodes``). Training cannot differentiate ``sign``, so
it is relaxed to ``tanh(beta * e)`` with ``beta = sqrt(1 + gamma * step)`` growing over training
(HashNet's continuation, Cao et al. 2017; BPR uses gamma = 0.1, the encoders' default here is
0.001: see ``EncoderConfig``), and two losses are summed (paper eqs. 3-4):

* candidate generation: the relaxed query code against the relaxed passage codes, a hinge
  ``max(0, -(<h_q, h_p+> - <h_q, h_p->) + alpha)`` over every in-batch negative, alpha = 2;
* re-ranking: cross-entropy of the softmax over ``<e_q, h_p>`` (continuous query, relaxed codes),
  the positive as target.

Departure: BPR's code is BERT's 768-d [CLS] vector itself; here a linear layer maps the encoder's
``dim``-d vector to ``bits`` dimensions first, so the code length (64-1024 bits) is a setting
independent of the encoder. That layer starts as a random orthogonal projection with no bias, so
before any training the codes are random-hyperplane LSH of the encoder's vectors (Charikar, STOC
2002: the Hamming distance between ``sign(W x)`` and ``sign(W y)`` estimates the angle between
``x`` and ``y``; ITQ, Gong & Lazebnik 2011, also starts from a rotation): a hash put on a trained
encoder (``wenda train retriever --init``) then keeps its cosine geometry from the first step.
On squad-open, 384-bit codes on MiniLM after 150 inverse-cloze steps reach top-20 90.6 from this
start and 86.8 from ``nn.Linear``'s (float encoder: 90.2; BENCHMARKS.md, issue 5).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def binarize(e: Tensor) -> Tensor:
    """``sign(e)`` as ``±1`` with 0 -> -1, the convention of the packed codes (bit = ``e > 0``)."""
    return torch.where(e > 0, 1.0, -1.0).to(e.dtype)


class HashLayer(nn.Module):
    """``e = W x + b`` (``[B, dim] -> [B, bits]``) and the relaxation of ``sign`` used in training.

    ``step`` (a saved buffer, so a resumed run continues the schedule) counts training steps;
    :meth:`relax` uses ``beta = sqrt(1 + gamma * step)``; :meth:`advance` moves it on."""

    def __init__(self, dim: int, bits: int, gamma: float) -> None:
        super().__init__()
        if bits < 8 or bits % 8:
            raise ValueError(f"bits must be a positive multiple of 8 (packed codes), not {bits}")
        self.proj = nn.Linear(dim, bits)
        nn.init.orthogonal_(self.proj.weight)  # [bits, dim]: LSH of the input (module docstring)
        nn.init.zeros_(self.proj.bias)
        self.gamma = gamma
        self.register_buffer("step", torch.zeros((), dtype=torch.long))

    def forward(self, x: Tensor) -> Tensor:
        return self.proj(x)  # [B, bits]

    @property
    def beta(self) -> float:
        return math.sqrt(1.0 + self.gamma * float(self.step))

    def relax(self, e: Tensor) -> Tensor:
        """``tanh(beta * e)``: the differentiable stand-in for the code while training."""
        return torch.tanh(self.beta * e)

    def advance(self) -> None:
        self.step += 1


def bpr_loss(q: Tensor, p: Tensor, layer: HashLayer, margin: float = 2.0) -> Tensor:
    """BPR's loss for continuous query vectors ``q`` ``[B, K]`` and passage vectors ``p`` ``[N, K]``
    (``N >= B``; row i of ``p`` is query i's positive, every other row a negative for it):
    the candidate hinge on relaxed codes plus the re-ranking cross-entropy (module docstring)."""
    hq, hp = layer.relax(q), layer.relax(p)  # [B, K], [N, K]
    target = torch.arange(q.shape[0], device=q.device)
    binary = hq @ hp.T  # [B, N]
    positive = binary[target, target][:, None]  # [B, 1]
    negative = torch.ones_like(binary, dtype=torch.bool)
    negative[target, target] = False
    hinge = F.relu(margin - positive + binary)[negative]  # [B * (N - 1)]
    candidate = hinge.mean() if hinge.numel() else binary.sum() * 0.0
    rerank = F.cross_entropy(q @ hp.T, target)  # scores [B, N]
    return candidate + rerank
