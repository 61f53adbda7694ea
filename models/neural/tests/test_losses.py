import pytest
import torch

from neural import losses as L


def test_ms_l1_constant_offset():
    x = torch.rand(2, 3, 32, 32)
    assert L.ms_l1(x + 0.5, x).item() == pytest.approx(0.5, abs=1e-6)
    assert L.ms_l1(x, x).item() == 0


def test_ssim_known_values():
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    assert L.ssim(x, x).item() == pytest.approx(1.0, abs=1e-5)
    # constant images a, b: SSIM = (2ab + c1) / (a² + b² + c1), c1 = (0.01·2)²
    a, b, c1 = 0.5, 0.0, (0.01 * 2) ** 2
    s = L.ssim(torch.full((1, 1, 16, 16), a), torch.full((1, 1, 16, 16), b)).item()
    assert s == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), rel=1e-3)
    assert L.ssim(x, torch.rand(1, 3, 32, 32) * 2 - 1).item() < 0.2


def test_hinge():
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-2.0, 0.0])
    # relu(1-2)=0, relu(1-0)=1 -> 0.5 ; relu(1-2)=0, relu(1+0)=1 -> 0.5
    assert L.hinge_d(real, fake).item() == pytest.approx(1.0)
    assert L.hinge_g(torch.tensor([1.0, 3.0])).item() == pytest.approx(-2.0)


def test_feature_matching_and_embedding_match():
    f = [torch.ones(1, 2, 4, 4), torch.zeros(1, 2, 2, 2)]
    r = [torch.zeros(1, 2, 4, 4), torch.zeros(1, 2, 2, 2)]
    assert L.feature_matching(f, r).item() == pytest.approx(0.5)
    assert L.embedding_match(torch.tensor([[1.0, -1.0]]), torch.tensor([[0.0, 1.0]])).item() == pytest.approx(1.5)


def test_feature_matching_detaches_real():
    r = [torch.ones(1, 1, 2, 2, requires_grad=True)]
    f = [torch.zeros(1, 1, 2, 2, requires_grad=True)]
    L.feature_matching(f, r).backward()
    assert r[0].grad is None and f[0].grad is not None
