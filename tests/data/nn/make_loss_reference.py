#!/usr/bin/python3
# Reference numbers for the contrastive, margin-softmax and soft-metric
# tests, from Debian's python3-torch (float64): each loss written as its
# paper and the usual PyTorch code write it (F.normalize, F.cross_entropy
# over similarity logits; ArcFace with insightface's cos(theta) - m sin(m)
# fallback; SphereFace's psi through acos, cos(m theta) and the interval
# index k), with autograd gradients. Run from this folder:
#   /usr/bin/python3 make_loss_reference.py > loss_reference.txt
import math

import torch
import torch.nn.functional as F
from torch_blocks import block

torch.manual_seed(20261206)
torch.set_default_dtype(torch.float64)
print("# torch", torch.__version__)


def leaf(t):
    return t.clone().requires_grad_(True)


# InfoNCE: 6 queries, 9 keys (3 extra negatives), cosine and dot product.
q, k = torch.randn(6, 4), torch.randn(9, 4)
block("q", q)
block("k", k)
for name, tau, normalize in (("infonce_cos", 0.2, True), ("infonce_dot", 0.7, False)):
    qt, kt = leaf(q), leaf(k)
    a, b = (F.normalize(qt, dim=1), F.normalize(kt, dim=1)) if normalize else (qt, kt)
    loss = F.cross_entropy(a @ b.t() / tau, torch.arange(6))
    loss.backward()
    block(name + "_loss", loss.reshape(1))
    block(name + "_grad_q", qt.grad)
    block(name + "_grad_k", kt.grad)

# NT-Xent (SimCLR): N = 5 samples, two views.
z1, z2 = torch.randn(5, 3), torch.randn(5, 3)
block("z1", z1)
block("z2", z2)
a, b = leaf(z1), leaf(z2)
z = F.normalize(torch.cat([a, b]), dim=1)
sim = z @ z.t() / 0.3
sim = sim.masked_fill(torch.eye(10, dtype=torch.bool), float("-inf"))
targets = torch.cat([torch.arange(5, 10), torch.arange(0, 5)])
loss = F.cross_entropy(sim, targets)
loss.backward()
block("ntxent_loss", loss.reshape(1))
block("ntxent_grad_1", a.grad)
block("ntxent_grad_2", b.grad)

# Margin softmax: 8 embeddings of dimension 5, 4 classes, labels fixed.
x, w = torch.randn(8, 5), torch.randn(4, 5)
labels = torch.tensor([0, 1, 2, 3, 3, 2, 1, 0])
block("emb", x)
block("weights", w)
block("labels", labels)


def margin_loss(name, s, psi):
    xt, wt = leaf(x), leaf(w)
    cos = F.normalize(xt, dim=1) @ F.normalize(wt, dim=1).t()
    target = psi(cos.gather(1, labels[:, None]))
    onehot = F.one_hot(labels, 4).bool()
    logits = s * torch.where(onehot, target.expand_as(cos), cos)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    block(name + "_loss", loss.reshape(1))
    block(name + "_logits", logits)
    block(name + "_grad_x", xt.grad)
    block(name + "_grad_w", wt.grad)


def arcface(m):
    def psi(c):
        sine = torch.sqrt(1 - c * c)
        phi = c * math.cos(m) - sine * math.sin(m)
        return torch.where(c > math.cos(math.pi - m), phi, c - math.sin(math.pi - m) * m)
    return psi


def sphereface(m):
    def psi(c):
        theta = torch.acos(c)
        k = torch.floor(m * theta / math.pi).clamp(max=m - 1)
        return (-1.0) ** k * torch.cos(m * theta) - 2 * k
    return psi


margin_loss("arcface", 16.0, arcface(0.5))
margin_loss("arcface_wide", 4.0, arcface(1.4))  # most targets take the fallback
margin_loss("cosface", 8.0, lambda c: c - 0.35)
margin_loss("sphereface", 5.0, sphereface(4))
margin_loss("sphereface3", 3.0, sphereface(3))

# Soft metrics over softmax probabilities of 10 rows, 3 classes.
p = torch.softmax(torch.randn(10, 3), dim=1)
y = torch.tensor([0, 2, 1, 1, 0, 2, 2, 1, 0, 0])
block("probs", p)
block("metric_labels", y)
onehot = F.one_hot(y, 3).double()
pt = leaf(p)
acc = pt.gather(1, y[:, None]).mean()
acc.backward()
block("soft_accuracy", acc.reshape(1))
block("soft_accuracy_grad", pt.grad)
for name, combine in (("macro", lambda tp, fp, fn: (2 * tp / (2 * tp + fp + fn)).mean()),
                      ("micro", lambda tp, fp, fn: 2 * tp.sum() / (2 * tp + fp + fn).sum())):
    pt = leaf(p)
    tp = (pt * onehot).sum(0)
    fp = (pt * (1 - onehot)).sum(0)
    fn = ((1 - pt) * onehot).sum(0)
    f1 = combine(tp, fp, fn)
    f1.backward()
    block("soft_f1_" + name, f1.reshape(1))
    block("soft_f1_" + name + "_grad", pt.grad)
# Binary: probability of class 1.
pb = torch.sigmoid(torch.randn(12))
yb = torch.tensor([1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1, 1])
block("binary_probs", pb)
block("binary_labels", yb)
pt = leaf(pb)
tp, fp, fn = (pt * yb).sum(), (pt * (1 - yb)).sum(), ((1 - pt) * yb).sum()
f1 = 2 * tp / (2 * tp + fp + fn)
f1.backward()
block("soft_f1_binary", f1.reshape(1))
block("soft_f1_binary_grad", pt.grad)
