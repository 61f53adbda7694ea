"""A tiny fixed batch: the full meta-learning step (E, G, D, all losses) must drive the
reconstruction loss down within a few steps."""
import torch

from neural.nets import NetConfig
from neural.train import TrainConfig, Trainer


class FixedSampler:
    def __init__(self, size=32, k=2, b=2, warp=False):
        g = torch.Generator().manual_seed(0)
        yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
        # two smooth "faces": different colour gradients; landmark images: a disc at different places
        frames = torch.stack([torch.stack([xx, yy, xx * yy]), torch.stack([-yy, xx * 0.5, -xx])]) * 0.8
        lms = torch.stack([((xx - c) ** 2 + yy ** 2 < 0.2).float().expand(3, -1, -1) * 2 - 1 for c in (-0.3, 0.3)])
        self.batch = {"ref_frames": frames[:, None].expand(-1, k, -1, -1, -1).contiguous(),
                      "ref_lms": lms[:, None].expand(-1, k, -1, -1, -1).contiguous(),
                      "frame": frames + 0.05 * torch.randn(frames.shape, generator=g), "lm": lms,
                      "vid": torch.tensor([0, 1]), "k": k}
        if warp:  # a "warp render": the real frame, blurred and off in colour, with a full mask
            w = torch.nn.functional.avg_pool2d(frames, 5, 1, 2) * 0.7 + 0.1
            self.batch["warp"] = torch.cat([w, torch.ones(2, 1, size, size)], 1)
        self.names = ["a", "b"]

    def __len__(self):
        return 2


def test_overfit_tiny_batch(tmp_path):
    torch.manual_seed(0)
    cfg = TrainConfig(name="overfit", size=32, batch=2, lr_g=1e-3, lr_d=1e-4, net=NetConfig())
    s = FixedSampler()
    tr = Trainer(cfg, tmp_path, ["a", "b"], [], sampler=s)
    first = tr.train_step(s.batch)
    for _ in range(14):
        last = tr.train_step(s.batch)
    assert last["l1"] < 0.6 * first["l1"], (first, last)
    assert all(torch.isfinite(torch.tensor(v)) for v in last.values())


import pytest


@pytest.mark.parametrize("residual", [False, True])
def test_overfit_refiner(tmp_path, residual):
    """Refiner: starts as the warp (step 0 L1 = the warp's), and the composite beats it within a
    few steps as the mask opens."""
    torch.manual_seed(0)
    cfg = TrainConfig(name="overfit-refine", size=32, batch=2, lr_g=3e-3, lr_d=1e-4, net=NetConfig(refine=True, residual=residual, mask_bias=-2.0 if residual else -5.0))
    s = FixedSampler(warp=True)
    tr = Trainer(cfg, tmp_path, ["a", "b"], [], sampler=s)
    warp_l1 = __import__("neural.losses", fromlist=["ms_l1"]).ms_l1(s.batch["warp"][:, :3], s.batch["frame"]).item()
    first = tr.train_step(s.batch)
    assert abs(first["l1"] - warp_l1) < 0.01, (first, warp_l1)
    # 40 steps: the blending variant's mask (bias −5) opens slowly, and how slowly depends on the
    # CPU's conv kernels (24 steps were enough on one machine, not on another); the best of the
    # last 10 steps must beat the warp by 25 %.
    hist = [tr.train_step(s.batch) for _ in range(40)]
    best = min(h["l1"] for h in hist[-10:])
    assert best < 0.75 * first["l1"] and hist[-1]["mask"] > first["mask"], (first, hist[-1], best)
