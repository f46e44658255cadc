"""Golden rows for the losses family (mirrors tests/ops/cases_losses.cpp).

PyTorch's core has no focal loss: the binary one is torchvision.ops.sigmoid_focal_loss's formula written out,
the multi-class one the RetinaNet paper's FL(p_t) = -alpha_t (1 - p_t)^gamma log(p_t). check_focal() below
verifies both against the paper's definition (and gamma = 0 against cross_entropy) before any record is written.
"""
import torch
import torch.nn.functional as F

from make_golden import row, ids

REAL12 = [0.3, -1.2, 0.8, 0.0, 1.5, -0.4, 2.0, -0.7, 0.1, 0.9, -1.8, 0.6]
PROB12 = [0.0, 1.0, 0.25, 0.9, 1.0, 0.0, 0.5, 0.1, 0.7, 0.0, 1.0, 0.35]
DIST12 = [0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.5, 0.0, 0.7, 0.1, 0.1, 0.1]
DISTB12 = [0.1, 0.2, 0.3, 0.4, 0.25, 0.25, 0.4, 0.1, 0.7, 0.1, 0.1, 0.1]
W4 = [0.5, 1.0, 2.0, 1.5]
POSW4 = [3.0, 1.0, 0.5, 2.0]
ALPHA5 = [0.5, 1.0, 2.0, 1.5, 0.7]


def cst(v, shape=None):
    t = torch.tensor(v, dtype=torch.float32)
    return t.reshape(shape) if shape is not None else t


def real():
    return cst(REAL12, (3, 4))


def prob():
    return cst(PROB12, (3, 4))


def reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss (torchvision 0.14), verbatim apart from the reduction helper."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    return reduce(loss, reduction)


def softmax_focal_loss(logits, target, alpha=None, gamma=2.0, reduction="mean", ignore_index=-100):
    """-alpha[t] (1 - p_t)^gamma log p_t per position; mean over the non-ignored targets."""
    valid = target != ignore_index
    t = torch.where(valid, target, torch.zeros_like(target))
    log_pt = F.log_softmax(logits, 1).gather(1, t.unsqueeze(1)).squeeze(1)
    loss = -((1 - log_pt.exp()) ** gamma) * log_pt
    if alpha is not None:
        loss = alpha[t] * loss
    loss = torch.where(valid, loss, torch.zeros_like(loss))
    if reduction == "mean":
        return loss.sum() / valid.sum()
    return reduce(loss, reduction)


def check_focal():
    """The mirrors above against the paper's definition, written from p_t alone (float64)."""
    g = torch.Generator().manual_seed(7)
    x = torch.randn(50, generator=g, dtype=torch.float64) * 3
    y = (torch.rand(50, generator=g, dtype=torch.float64) > 0.5).double()
    for alpha, gamma in [(0.25, 2.0), (-1, 1.5), (0.6, 0.0)]:
        p = torch.sigmoid(x)
        p_t = torch.where(y == 1, p, 1 - p)  # paper: p_t = p if y = 1 else 1 - p
        alpha_t = torch.where(y == 1, torch.full_like(p, alpha), torch.full_like(p, 1 - alpha)) if alpha >= 0 else 1.0
        paper = -alpha_t * (1 - p_t) ** gamma * torch.log(p_t)
        assert torch.allclose(sigmoid_focal_loss(x, y, alpha, gamma), paper, rtol=1e-10, atol=1e-12)
    z = torch.randn(30, 5, generator=g, dtype=torch.float64)
    t = torch.randint(0, 5, (30,), generator=g)
    a = torch.tensor(ALPHA5, dtype=torch.float64)
    p_t = torch.softmax(z, 1)[torch.arange(30), t]
    paper = -a[t] * (1 - p_t) ** 2.5 * torch.log(p_t)
    assert torch.allclose(softmax_focal_loss(z, t, a, 2.5, "none"), paper, rtol=1e-10, atol=1e-12)
    t[3] = -100
    for r in ["none", "sum", "mean"]:
        assert torch.allclose(softmax_focal_loss(z, t, None, 0.0, r), F.cross_entropy(z, t, reduction=r),
                              rtol=1e-12, atol=1e-12)
    # One value by hand: logits [0, log 3], target 1: p_t = 0.75, 0.25^2 * -log 0.75 = 0.0179801295
    v = softmax_focal_loss(torch.tensor([[0.0, 1.0986122886681098]], dtype=torch.float64), torch.tensor([1]))
    assert abs(v.item() - 0.0179801295) < 1e-9, v


check_focal()

row("losses", "mse_loss.mean", [(3, 4)], lambda x: F.mse_loss(x, real()))
row("losses", "mse_loss.sum", [(3, 4)], lambda x: F.mse_loss(x, real(), reduction="sum"))
row("losses", "mse_loss.none", [(3, 4)], lambda x: F.mse_loss(x, real(), reduction="none"))
row("losses", "mse_loss.transposed", [(4, 3)], lambda x: F.mse_loss(x.t(), real()))
row("losses", "l1_loss.mean", [(3, 4)], lambda x: F.l1_loss(x, real()))
row("losses", "l1_loss.sum", [(3, 4)], lambda x: F.l1_loss(x, real(), reduction="sum"))
row("losses", "l1_loss.none", [(3, 4)], lambda x: F.l1_loss(x, real(), reduction="none"))
row("losses", "binary_cross_entropy.mean", [(3, 4)], lambda x: F.binary_cross_entropy(x, prob()), "unit")
row("losses", "binary_cross_entropy.sum", [(3, 4)], lambda x: F.binary_cross_entropy(x, prob(), reduction="sum"),
    "unit")
row("losses", "binary_cross_entropy.none", [(3, 4)],
    lambda x: F.binary_cross_entropy(x, prob(), reduction="none"), "unit")
row("losses", "binary_cross_entropy.weighted", [(3, 4)], lambda x: F.binary_cross_entropy(x, prob(), cst(W4)), "unit")
row("losses", "binary_cross_entropy_with_logits.mean", [(3, 4)], lambda x: F.binary_cross_entropy_with_logits(x, prob()))
row("losses", "binary_cross_entropy_with_logits.sum", [(3, 4)],
    lambda x: F.binary_cross_entropy_with_logits(x, prob(), reduction="sum"))
row("losses", "binary_cross_entropy_with_logits.none", [(3, 4)],
    lambda x: F.binary_cross_entropy_with_logits(x, prob(), reduction="none"))
row("losses", "binary_cross_entropy_with_logits.weighted.pos_weight", [(3, 4)],
    lambda x: F.binary_cross_entropy_with_logits(x, prob(), cst(W4), pos_weight=cst(POSW4)))
row("losses", "binary_cross_entropy_with_logits.pos_weight.none", [(3, 4)],
    lambda x: F.binary_cross_entropy_with_logits(x, prob(), reduction="none", pos_weight=cst(POSW4)))
row("losses", "sigmoid_focal_loss.none", [(3, 4)], lambda x: sigmoid_focal_loss(x, prob()))
row("losses", "sigmoid_focal_loss.mean", [(3, 4)], lambda x: sigmoid_focal_loss(x, prob(), 0.25, 2.0, "mean"))
row("losses", "sigmoid_focal_loss.sum.no_alpha.gamma1_5", [(3, 4)],
    lambda x: sigmoid_focal_loss(x, prob(), -1, 1.5, "sum"))
row("losses", "softmax_focal_loss.mean", [(4, 5)], lambda x: softmax_focal_loss(x, ids([1, 0, 4, 2], (4,))))
row("losses", "softmax_focal_loss.sum.alpha", [(4, 5)],
    lambda x: softmax_focal_loss(x, ids([1, 0, 4, 2], (4,)), cst(ALPHA5), 2.0, "sum"))
row("losses", "softmax_focal_loss.none.ignore", [(4, 5)],
    lambda x: softmax_focal_loss(x, ids([1, -100, 4, 2], (4,)), None, 1.5, "none"))
row("losses", "softmax_focal_loss.mean.alpha.ignore", [(4, 5)],
    lambda x: softmax_focal_loss(x, ids([3, -100, 4, 0], (4,)), cst(ALPHA5), 3.0))
row("losses", "softmax_focal_loss.spatial", [(2, 3, 2)], lambda x: softmax_focal_loss(x, ids([2, 0, 1, -100], (2, 2))))
row("losses", "softmax_focal_loss.gamma0", [(4, 5)], lambda x: F.cross_entropy(x, ids([1, 0, 4, 2], (4,))))
row("losses", "kl_div.batchmean", [(3, 4)], lambda x: F.kl_div(x, cst(DIST12, (3, 4)), reduction="batchmean"))
row("losses", "kl_div.mean", [(3, 4)], lambda x: F.kl_div(x, cst(DIST12, (3, 4)), reduction="mean"))
row("losses", "kl_div.sum", [(3, 4)], lambda x: F.kl_div(x, cst(DIST12, (3, 4)), reduction="sum"))
row("losses", "kl_div.none", [(3, 4)], lambda x: F.kl_div(x, cst(DIST12, (3, 4)), reduction="none"))
row("losses", "kl_div.log_target.batchmean", [(3, 4)],
    lambda x: F.kl_div(x, torch.log(cst(DISTB12, (3, 4))), reduction="batchmean", log_target=True))
