"""Losses (Zakharov et al. 2019, sec. 3.2), with the substitutions named:

* L_CNT: the paper's perceptual terms use VGG19 (ImageNet) and VGGFace features. No pretrained
  network can be downloaded here (torchvision weights are fetched from the internet), so the
  perceptual term is replaced by a multi-scale L1 (full, 1/2, 1/4 resolution) plus 1 − SSIM, and
  the discriminator feature-matching term (L_FM, kept from the paper) supplies learned features.
* L_ADV: hinge loss; the generator side is −D(fake).
* L_MCH: L1 between the embedder's averaged vector ê_i and the discriminator's projection row W_i.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def ms_l1(fake: torch.Tensor, real: torch.Tensor, scales: int = 3) -> torch.Tensor:
    """Mean of L1 distances at `scales` resolutions (2×2 average pooling between scales)."""
    total = fake.new_zeros(())
    for s in range(scales):
        if s:
            fake, real = F.avg_pool2d(fake, 2), F.avg_pool2d(real, 2)
        total = total + (fake - real).abs().mean()
    return total / scales


def _gauss(win: int, sigma: float, ch: int, like: torch.Tensor) -> torch.Tensor:
    x = torch.arange(win, dtype=like.dtype, device=like.device) - (win - 1) / 2
    g = torch.exp(-(x ** 2) / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(ch, 1, win, win).contiguous()


def ssim(x: torch.Tensor, y: torch.Tensor, data_range: float = 2.0, win: int = 7, sigma: float = 1.5,
         per_sample: bool = False) -> torch.Tensor:
    """Mean SSIM (Gaussian window, no padding) of two NCHW batches; [-1,1] images → data_range 2.
    per_sample: one mean per batch item (shape N) instead of one for the batch."""
    c = x.shape[1]
    w = _gauss(win, sigma, c, x)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu_x, mu_y = F.conv2d(x, w, groups=c), F.conv2d(y, w, groups=c)
    sxx = F.conv2d(x * x, w, groups=c) - mu_x ** 2
    syy = F.conv2d(y * y, w, groups=c) - mu_y ** 2
    sxy = F.conv2d(x * y, w, groups=c) - mu_x * mu_y
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return s.mean((1, 2, 3)) if per_sample else s.mean()


def feature_matching(fake_feats: list[torch.Tensor], real_feats: list[torch.Tensor]) -> torch.Tensor:
    """Mean over layers of the L1 distance between D's features of fake and (detached) real."""
    return sum((f - r.detach()).abs().mean() for f, r in zip(fake_feats, real_feats)) / len(fake_feats)


def hinge_d(real_score: torch.Tensor, fake_score: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real_score).mean() + F.relu(1 + fake_score).mean()


def hinge_g(fake_score: torch.Tensor) -> torch.Tensor:
    return -fake_score.mean()


def embedding_match(emb: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return (emb - w).abs().mean()
