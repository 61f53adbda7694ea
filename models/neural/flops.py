"""FLOP counter (forward pass): 2·MACs for Conv2d and Linear, plus elementwise costs of
instance norm / AdaIN (≈8 ops/element), activations (1/element), resize and pooling (1/element)."""
from __future__ import annotations

import torch
import torch.nn as nn

from .nets import AdaINSlot, AffineIN, Generator, NetConfig


def count_flops(model: nn.Module, *inputs) -> dict[str, float]:
    totals = {"conv": 0.0, "linear": 0.0, "norm": 0.0, "elementwise": 0.0}

    def conv_hook(m, inp, out):
        k = m.weight.shape[1] * m.weight.shape[2] * m.weight.shape[3]
        totals["conv"] += 2.0 * out.numel() * k + (out.numel() if m.bias is not None else 0)
        # the relu / residual add / nearest resize that follow a conv: ≤ 3 ops per output element
        totals["elementwise"] += 3.0 * out.numel()

    def lin_hook(m, inp, out):
        totals["linear"] += 2.0 * out.numel() * m.in_features

    def norm_hook(m, inp, out):
        totals["norm"] += 8.0 * out.numel()

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
        elif isinstance(m, (AdaINSlot, AffineIN)):
            hooks.append(m.register_forward_hook(norm_hook))
    with torch.no_grad():
        model(*inputs)
    for h in hooks:
        h.remove()
    totals["total"] = sum(totals.values())
    return totals


def generator_flops(cfg: NetConfig | None = None, size: int = 256) -> dict[str, float]:
    """FLOPs of one generator frame (AdaIN params precomputed once per call, so excluded)."""
    cfg = cfg or NetConfig()
    g = Generator(cfg).eval()
    lm = torch.zeros(1, cfg.lm_ch, size, size)
    psi = torch.zeros(1, g.psi_dim)
    f = count_flops(g, lm, psi)
    return f


if __name__ == "__main__":
    for s in (64, 128, 256):
        f = generator_flops(size=s)
        print(f"G @ {s}x{s}: {f['total'] / 1e9:.3f} GFLOPs (conv {f['conv'] / 1e9:.3f}, norm {f['norm'] / 1e9:.3f}, elementwise {f['elementwise'] / 1e9:.3f})")
    cfg = NetConfig()
    g = Generator(cfg)
    print("G params", sum(p.numel() for p in g.parameters()), "psi_dim", g.psi_dim)
