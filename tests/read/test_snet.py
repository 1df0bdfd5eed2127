"""S-Net's passage-ranking branch: the logit's shape, its padding independence, a hand-checkable
pooling, and that a ranking loss reaches the branch (span loss alone is the shared contract's)."""

from __future__ import annotations

import pytest

from tests.read.padding import WORDS

torch = pytest.importorskip("torch")

from wenda.read.snet import SNet, SNetConfig  # noqa: E402
from wenda.text.vocab import Vocab  # noqa: E402

SHORT_Q, SHORT_P = ["who", "wrote", "hamlet"], ["william", "wrote", "it"]
LONG_Q, LONG_P = WORDS[:7], WORDS[5:] + WORDS[:3]


def _model(**settings) -> SNet:
    torch.manual_seed(0)
    return SNet(SNetConfig(rank=True, **settings), Vocab.build([WORDS]))


def test_rank_logits_shape_and_off_by_default():
    model = _model().eval()
    with torch.no_grad():
        output, _ = model.logits([LONG_Q, SHORT_Q], [LONG_P, SHORT_P])
    assert output.rank.shape == (2,) and torch.isfinite(output.rank).all()
    assert model.rank_objective == "supervised"
    plain = SNet(SNetConfig(), Vocab.build([WORDS])).eval()
    with torch.no_grad():
        output, _ = plain.logits([SHORT_Q], [SHORT_P])
    assert output.rank is None and plain.rank_objective is None and not hasattr(plain, "rank_mlp")


@pytest.mark.parametrize("bidirectional", [True, False])
def test_rank_logit_unaffected_by_padding(bidirectional):
    model = _model(bidirectional_match=bidirectional, no_answer=True).eval()
    with torch.no_grad():
        alone = model.logits([SHORT_Q], [SHORT_P])[0].rank
        output, mask = model.logits([LONG_Q, SHORT_Q], [LONG_P, SHORT_P])
    n = len(SHORT_P)
    assert mask[1].sum() == n and mask.shape[1] > n
    assert torch.allclose(output.rank[1], alone[0], atol=1e-5)


def test_pooling_weights_are_uniform_over_real_tokens_and_zero_at_padding():
    """With ``v = 0`` every pooling score is 0, so the softmax gives ``1/n`` to each of the short
    passage's ``n = 3`` real tokens and exactly 0 to its padding, and then ``r^P`` is the mean of
    ``v^P`` over the real tokens: the ranking logit is the MLP on ``[r^Q; mean v^P]``."""
    model = _model().eval()
    with torch.no_grad():
        model.rank_v.weight.zero_()
        output, _ = model.logits([LONG_Q, SHORT_Q], [LONG_P, SHORT_P])
        # recompute the short pair's logit by hand from the model's own pieces
        q, p = model.featurize([SHORT_Q], [SHORT_P]).values()
        uq = model._encode(q, None, q != 0, model.q_encoder)
        vp = model._match(model._encode(p, None, p != 0, model.p_encoder), uq, q != 0, p != 0)
        pool = torch.softmax(model.pool_v(torch.tanh(model.pool_q(uq) + model.pool_r)).squeeze(-1), -1)
        rq = (pool[:, :, None] * uq).sum(1)
        padded = torch.cat([vp, torch.zeros(1, 4, vp.shape[2])], 1)  # the same passage with 4 padding steps
        mask = torch.arange(padded.shape[1])[None, :] < vp.shape[1]
        _, weights = model.rank_logits(padded, mask, rq)
        n = len(SHORT_P)
        assert torch.allclose(weights[0, :n], torch.full((n,), 1 / 3))
        assert torch.all(weights[0, n:] == 0)
        expected = model.rank_mlp(torch.cat([rq, vp.mean(1)], -1)).squeeze(-1)
    assert torch.allclose(output.rank[1], expected[0], atol=1e-5)


def test_joint_loss_reaches_the_ranking_branch():
    """The joint objective (span loss plus λ times the ranking cross-entropy) trains every parameter."""
    from wenda.train.grouped import group_loss

    model = _model().train()
    group = (LONG_Q, [LONG_P, SHORT_P], 0, 1, ("x",))  # passage 0 holds tokens 0..1
    group_loss(model, [group]).backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reaches: {missing}"
