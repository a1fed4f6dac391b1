import torch
from torch import nn

from mmssl_det.engine.optimizers import LARS


def test_lars_step_matches_algorithm_1():
    """One step by hand: g' = g + wd·w, trust = η‖w‖/‖g'‖, w ← w − lr·trust·g'."""
    w = nn.Parameter(torch.tensor([[3.0, 4.0]]))  # ‖w‖ = 5
    b = nn.Parameter(torch.tensor([1.0, -1.0]))   # 1-D: no decay, no adaptation
    w.grad = torch.tensor([[0.6, 0.8]])
    b.grad = torch.tensor([0.5, 0.5])
    opt = LARS([w, b], lr=2.0, momentum=0.9, weight_decay=0.1, eta=0.001)
    opt.step()
    g = torch.tensor([[0.6, 0.8]]) + 0.1 * torch.tensor([[3.0, 4.0]])  # ‖g'‖ = 1.5
    trust = 0.001 * 5.0 / 1.5
    assert torch.allclose(w, torch.tensor([[3.0, 4.0]]) - 2.0 * trust * g)
    assert torch.allclose(b, torch.tensor([1.0, -1.0]) - 2.0 * torch.tensor([0.5, 0.5]))


def test_lars_momentum_accumulates_and_zero_weights_fall_back_to_sgd():
    w = nn.Parameter(torch.zeros(2, 2))
    opt = LARS([w], lr=1.0, momentum=0.5, weight_decay=0.0)
    for _ in range(2):
        w.grad = torch.ones(2, 2)
        opt.step()
    # step 1: v = 1 (trust 1 because ‖w‖ = 0) → w = -1; step 2: trust = η·2/2 → v = 0.5 + 0.001
    assert torch.allclose(w, torch.full((2, 2), -1.0 - 0.501))


def test_lars_trains_a_regression():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
    x, y = torch.randn(64, 4), torch.randn(64, 1)
    opt = LARS(model.parameters(), lr=0.2, weight_decay=1e-5, eta=0.1)
    first = None
    for _ in range(100):
        loss = ((model(x) - y) ** 2).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.7 * first


def lars_loop_reference(params, lr, momentum, weight_decay, eta, eps, buffers):
    """Algorithm 1 of arXiv 1708.03888 one parameter at a time (the multi-tensor LARS must
    give the same numbers); ``buffers`` maps id(p) to its momentum buffer."""
    with torch.no_grad():
        for p in params:
            d_p = p.grad
            if p.ndim > 1:
                d_p = d_p.add(p, alpha=weight_decay)
                w_norm, g_norm = torch.norm(p), torch.norm(d_p)
                if w_norm > 0 and g_norm > 0:
                    d_p = d_p * (eta * w_norm / (g_norm + eps))
            if id(p) in buffers:
                buffers[id(p)].mul_(momentum).add_(d_p)
            else:
                buffers[id(p)] = d_p.clone()
            p.add_(buffers[id(p)], alpha=-lr)


def test_multi_tensor_step_equals_the_per_parameter_loop():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 4, 1), nn.Flatten(), nn.Linear(4 * 6 * 6, 2))
    model[3].weight.data.zero_()  # a zero-weight layer: plain SGD step
    reference = [p.detach().clone() for p in model.parameters()]
    frozen = model[5].bias
    frozen.requires_grad_(False)  # no gradient: skipped by both
    opt = LARS(model.parameters(), lr=0.5, momentum=0.9, weight_decay=1e-4, eta=0.01)
    ref_params = [nn.Parameter(r.clone()) for r in reference]
    buffers = {}
    for _ in range(3):
        x = torch.randn(5, 3, 8, 8)
        opt.zero_grad()
        model(x).square().mean().backward()
        for r, p in zip(ref_params, model.parameters()):
            r.grad = None if p.grad is None else p.grad.clone()
        opt.step()
        lars_loop_reference([r for r in ref_params if r.grad is not None], 0.5, 0.9, 1e-4,
                            0.01, 1e-8, buffers)
        for r, p in zip(ref_params, model.parameters()):
            torch.testing.assert_close(p, r, rtol=1e-6, atol=1e-7)
    assert not torch.equal(model[0].weight, reference[0])
    assert torch.equal(frozen, reference[-1])
