"""Networks after Zakharov et al. 2019 ("Few-Shot Adversarial Learning of Realistic Neural Talking
Head Models"), scaled to a ≤1.5 GFLOP/frame generator at 256×256.

Tensors are NCHW, images in [-1, 1].
  E(frame, landmark image) -> embedding (B, emb_dim); averaged over the K enrollment pairs.
  G(landmark image, warped v1 render, its mask; AdaIN params) -> RGB (tanh) + blend mask (sigmoid).
  AdaIN params ψ = P ê (+ bias): one linear projection of the averaged embedding.
  D(frame, landmark image, video index) -> realism score with the projection term, + features.

Every op is one that tfjs has (conv2d with explicit padding, avgPool 2×2, nearest resize ×2,
instance norm written as moments, relu, tanh, sigmoid, matMul); see EXPORT.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

IN_EPS = 1e-5


@dataclass
class NetConfig:
    emb_dim: int = 256
    g_stem: int = 16                      # stem conv (stride 2) output channels
    g_down: list[int] = field(default_factory=lambda: [32, 64, 128])   # ResDown outputs (each /2)
    g_res: int = 2                        # AdaIN residual blocks at the bottleneck
    g_up: list[int] = field(default_factory=lambda: [64, 32, 16])      # ResUp outputs (each ×2)
    e_ch: list[int] = field(default_factory=lambda: [16, 32, 64, 128, 256])  # E/D: stem + ResDown
    lm_ch: int = 3                        # landmark image channels
    warp_ch: int = 4                      # warped v1 render RGB + its mask (zero-filled when absent)
    refine: bool = False                  # bi-layer refiner: frame = warp·(1−m) + rgb·m, m starts ≈ 0
    residual: bool = False                # refiner: the RGB head is a correction Δ: frame = warp + m·Δ
    mask_face: bool = False               # refiner: mask = sigmoid(·) × the warp's face-oval coverage
    mask_bias: float = -5.0               # refiner: initial mask logit (sigmoid(−5) = 0.0067)
    lowpass: float = 0.0                  # residual refiner: frame = warp + G_σ ∗ (m·Δ), σ in G pixels (0: no blur)

    @property
    def g_in(self) -> int:
        return self.lm_ch + self.warp_ch


def instance_norm(x: torch.Tensor) -> torch.Tensor:
    """Per-sample, per-channel normalisation over H, W; biased variance, eps 1e-5."""
    return F.instance_norm(x, eps=IN_EPS)  # == (x - mean) / sqrt(var_biased + eps), faster kernel


def conv(cin: int, cout: int, k: int = 3, stride: int = 1, sn: bool = False) -> nn.Conv2d:
    c = nn.Conv2d(cin, cout, k, stride, padding=k // 2)
    return spectral_norm(c) if sn else c


class AdaINSlot(nn.Module):
    """Instance norm whose scale/shift come from ψ: y = (1 + γ) · IN(x) + β (γ, β sliced from ψ)."""

    def __init__(self, ch: int):
        super().__init__()
        self.ch = ch
        self.params: torch.Tensor | None = None  # (B, 2*ch), set by Generator.forward

    def forward(self, x):
        p = self.params
        gamma, beta = p[:, : self.ch, None, None], p[:, self.ch:, None, None]
        return (1 + gamma) * instance_norm(x) + beta


class AffineIN(nn.Module):
    """Instance norm with learned per-channel scale/shift (the generator's downsampling path)."""

    def __init__(self, ch: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ch))
        self.bias = nn.Parameter(torch.zeros(ch))

    def forward(self, x):
        return instance_norm(x) * self.weight[None, :, None, None] + self.bias[None, :, None, None]


class ResDown(nn.Module):
    """Pre-activation residual block, /2: main = conv3×3/s2 → [norm] → relu → conv3×3;
    skip = avgpool2 → conv1×1. `norm` None (E, D) or AffineIN (G)."""

    def __init__(self, cin, cout, norm: bool, sn: bool):
        super().__init__()
        self.n1 = AffineIN(cin) if norm else nn.Identity()
        self.c1 = conv(cin, cout, 3, 2, sn)
        self.n2 = AffineIN(cout) if norm else nn.Identity()
        self.c2 = conv(cout, cout, 3, 1, sn)
        self.skip = conv(cin, cout, 1, 1, sn)

    def forward(self, x):
        h = self.c1(F.relu(self.n1(x)))
        h = self.c2(F.relu(self.n2(h)))
        return h + self.skip(F.avg_pool2d(x, 2))


class ResAdaIN(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.n1, self.c1 = AdaINSlot(ch), conv(ch, ch)
        self.n2, self.c2 = AdaINSlot(ch), conv(ch, ch)

    def forward(self, x):
        h = self.c1(F.relu(self.n1(x)))
        return x + self.c2(F.relu(self.n2(h)))


class ResUpAdaIN(nn.Module):
    """×2: main = AdaIN → relu → nearest×2 → conv3×3 → AdaIN → relu → conv3×3;
    skip = conv1×1 → nearest×2 (1×1 conv commutes with nearest upsampling; cheaper this way)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.n1, self.c1 = AdaINSlot(cin), conv(cin, cout)
        self.n2, self.c2 = AdaINSlot(cout), conv(cout, cout)
        self.skip = conv(cin, cout, 1)

    def forward(self, x):
        h = F.interpolate(F.relu(self.n1(x)), scale_factor=2, mode="nearest")
        h = self.c2(F.relu(self.n2(self.c1(h))))
        return h + F.interpolate(self.skip(x), scale_factor=2, mode="nearest")


class Generator(nn.Module):
    def __init__(self, cfg: NetConfig):
        super().__init__()
        self.cfg = cfg
        self.stem = conv(cfg.g_in, cfg.g_stem, 3, 2)
        chs = [cfg.g_stem] + cfg.g_down
        self.down = nn.ModuleList(ResDown(a, b, norm=True, sn=False) for a, b in zip(chs, chs[1:]))
        self.res = nn.ModuleList(ResAdaIN(chs[-1]) for _ in range(cfg.g_res))
        ups = [chs[-1]] + cfg.g_up
        self.up = nn.ModuleList(ResUpAdaIN(a, b) for a, b in zip(ups, ups[1:]))
        self.out_norm = AdaINSlot(ups[-1])
        self.out = conv(ups[-1], 4, 3)
        if cfg.refine:
            # The blend mask starts (almost) shut everywhere, so at initialisation the composite
            # IS the warp render; G learns where its own RGB beats the warp.
            with torch.no_grad():
                self.out.weight[3].zero_()
                self.out.bias[3] = cfg.mask_bias
                if cfg.residual:  # Δ = 0: the composite is exactly the warp, whatever the mask
                    self.out.weight[:3].zero_()
                    self.out.bias[:3].zero_()
        self.slots = [m for m in self.modules() if isinstance(m, AdaINSlot)]
        self.psi_dim = sum(2 * s.ch for s in self.slots)
        # ψ = P ê + b; zero-initialised so the untrained AdaIN starts as plain instance norm.
        self.proj = nn.Linear(cfg.emb_dim, self.psi_dim)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def adain_params(self, emb: torch.Tensor) -> torch.Tensor:
        return self.proj(emb)

    def forward(self, lm: torch.Tensor, psi: torch.Tensor, warp: torch.Tensor | None = None):
        """lm (B,3,S,S); psi (B, psi_dim); warp (B,4,S,S) = v1 render RGB + mask, or None (zeros).
        Returns rgb (B,3,S,S) in [-1,1] and mask (B,1,S,S) in [0,1]."""
        if warp is None:
            warp = lm.new_zeros(lm.shape[0], self.cfg.warp_ch, lm.shape[2], lm.shape[3])
        o = 0
        for s in self.slots:
            s.params = psi[:, o: o + 2 * s.ch]
            o += 2 * s.ch
        x = self.stem(torch.cat([lm, warp], 1))
        for b in self.down:
            x = b(x)
        for b in self.res:
            x = b(x)
        for b in self.up:
            x = b(x)
        x = F.interpolate(F.relu(self.out_norm(x)), scale_factor=2, mode="nearest")
        x = self.out(x)
        for s in self.slots:
            s.params = None
        mask = torch.sigmoid(x[:, 3:4])
        if self.cfg.mask_face:  # corrections only where the warp draws the face (its coverage mask)
            mask = mask * warp[:, 3:4]
        return torch.tanh(x[:, :3]), mask


# The largest low-pass σ (lowpass.ts MAX_LOWPASS_SIGMA: the client refuses larger ones).
MAX_LOWPASS_SIGMA = 4.0


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian (radius ⌈3σ⌉, reflect padding: tf.mirrorPad's 'reflect') per channel;
    the client's lowpass.ts."""
    r = max(1, math.ceil(3 * sigma))
    k = torch.exp(-0.5 * (torch.arange(-r, r + 1, dtype=x.dtype, device=x.device) / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def composite(rgb, mask, warp_rgb=None, residual: bool = False, lowpass: float = 0.0):
    """Final frame: mask·G + (1−mask)·warp when the v1 render is given, else G's RGB alone.
    residual=True: G's RGB head is a correction Δ ∈ [-1, 1] and frame = clamp(warp + mask·Δ, -1, 1)
    (G's instance-normalised trunk cannot carry the warp's absolute colours to an absolute RGB
    output, so a blend makes it regenerate them from the identity; a correction need not);
    with lowpass σ > 0 the correction is low-passed first, frame = clamp(warp + G_σ ∗ (mask·Δ)):
    G reshades and recolours the warp but cannot repaint its detail (the bi-layer split)."""
    if warp_rgb is None:
        return rgb
    if residual:
        corr = mask * rgb
        return (warp_rgb + (gaussian_blur(corr, lowpass) if lowpass > 0 else corr)).clamp(-1, 1)
    return mask * rgb + (1 - mask) * warp_rgb


def upsample_composite(rgb, mask, warp_full, residual: bool = False, lowpass: float = 0.0):
    """The refiner at a higher output resolution: G's rgb and mask (B,·,S,S) bilinearly upsampled
    to the warp render's size (B,3,H,W) and composited onto it (the warp keeps its sharpness).
    With a low-pass the correction is formed and blurred at S, then upsampled (as the client does)."""
    size = warp_full.shape[-2:]
    up = lambda t: F.interpolate(t, size=size, mode="bilinear", align_corners=False)
    if residual and lowpass > 0:
        return (warp_full + up(gaussian_blur(mask * rgb, lowpass))).clamp(-1, 1)
    return composite(up(rgb), up(mask), warp_full, residual)


class Encoder(nn.Module):
    """Shared trunk of E and D: stem conv3×3/s2 then ResDown blocks (spectral norm, no norm
    layers), relu, global mean pool. Returns the pooled vector and the per-block features."""

    def __init__(self, cin: int, chs: list[int], sn: bool = True):
        super().__init__()
        self.stem = conv(cin, chs[0], 3, 2, sn=sn)
        self.blocks = nn.ModuleList(ResDown(a, b, norm=False, sn=sn) for a, b in zip(chs, chs[1:]))

    def forward(self, x):
        feats = []
        x = self.stem(x)
        feats.append(x)
        for b in self.blocks:
            x = b(x)
            feats.append(x)
        return F.relu(x).mean((2, 3)), feats


class Embedder(nn.Module):
    def __init__(self, cfg: NetConfig, sn: bool = True):
        """sn=False builds the same net with plain convs (for weights exported with σ folded in)."""
        super().__init__()
        assert cfg.e_ch[-1] == cfg.emb_dim
        self.enc = Encoder(3 + cfg.lm_ch, cfg.e_ch, sn)

    def forward(self, frames: torch.Tensor, lms: torch.Tensor) -> torch.Tensor:
        """frames, lms: (B, K, 3, S, S) -> averaged embedding (B, emb_dim)."""
        b, k = frames.shape[:2]
        v, _ = self.enc(torch.cat([frames, lms], 2).flatten(0, 1))
        return v.view(b, k, -1).mean(1)


class Discriminator(nn.Module):
    """Projection discriminator: r = (W_i + w0)ᵀ v + b, v = trunk(frame, landmark image)."""

    def __init__(self, cfg: NetConfig, num_videos: int):
        super().__init__()
        self.enc = Encoder(3 + cfg.lm_ch, cfg.e_ch)
        self.W = nn.Embedding(num_videos, cfg.emb_dim)
        nn.init.normal_(self.W.weight, std=0.02)
        self.w0 = nn.Parameter(torch.zeros(cfg.emb_dim))
        self.b = nn.Parameter(torch.zeros(()))

    def forward(self, frame, lm, vid):
        v, feats = self.enc(torch.cat([frame, lm], 1))
        score = ((self.W(vid) + self.w0) * v).sum(1) + self.b
        return score, feats
