"""Experiment (session 13): a mouth refiner that moves the warp's pixels instead of repainting them.
The shipped refiner (mouth.py) adds a colour correction and, trained on pixel losses against frames
the warp does not align with to the pixel, answers misalignment with blur (grey teeth). Here the
network also predicts a displacement field: the refined patch samples the warp patch at each
pixel's displaced position (bilinear, the displacement faded to 0 at the border like the colour
correction), then adds the colour term (`--mode flow+colour`) or nothing (`--mode flow`). Moving
pixels cannot blur, so what detail the warp has is kept where it lands.

    python -m neural.mouth_flow train --mode flow|flow+colour [--minutes 14] [--threads 1] --run runs/mouth-flow
    python -m neural.mouth_flow eval --run runs/mouth-flow [--run …] [--json out.json]

Scored as mouth.py's `eval` (every tracked frame of the held-out persons, both warp avatars) plus
lips detail (|Laplacian| inside the outer lip; real frames have more than either refiner).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .episodes import load_split
from .mouth import CHANNELS, DEV_CLIPS, MouthData, MouthNet, load_exported, patch_loss, window
from .patch_fit import PerPerson, experiment_cli, fit, patch_scores, report
from .train import MODELS_DIR

MAX_SHIFT = 0.1  # of the patch side (4.8 px at 48)


class FlowNet(MouthNet):
    """MouthNet whose last layer gives 7 channels: displacement (2), colour Δ (3), mask (1), unused (1)."""

    def __init__(self, colour: bool):
        super().__init__(CHANNELS)
        self.colour = colour
        self.out = nn.Conv2d(CHANNELS[0], 6, 3, 1, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        with torch.no_grad():
            self.out.bias[5] = -2.0

    def refine(self, warp, lips, win):
        y = self.trunk(torch.cat([warp, lips], 1))
        b, _, s, _ = warp.shape
        shift = torch.tanh(y[:, 0:2]) * (2 * MAX_SHIFT) * win  # in grid_sample's [-1, 1] units
        base = torch.stack(torch.meshgrid(torch.linspace(-1 + 1 / s, 1 - 1 / s, s), torch.linspace(-1 + 1 / s, 1 - 1 / s, s), indexing="ij")[::-1], -1)
        grid = base[None] + shift.permute(0, 2, 3, 1)
        moved = F.grid_sample(warp, grid, mode="bilinear", padding_mode="border", align_corners=False)
        if not self.colour:
            return moved.clamp(-1, 1)
        return (moved + win * torch.sigmoid(y[:, 5:6]) * torch.tanh(y[:, 2:5])).clamp(-1, 1)


class Shipped(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = load_exported(MODELS_DIR / "weights" / "mouth")

    def refine(self, warp, lips, win):
        d, m = self.net(warp, lips)
        return (warp + win * m * d).clamp(-1, 1)


@torch.no_grad()
def score(net, data: MouthData, win, batch: int = 256) -> dict:
    net.eval()
    acc = PerPerson()
    for s in range(0, len(data), batch):
        idx = np.arange(s, min(s + batch, len(data)))
        real, warp, lips = data.batch(idx)
        acc.add([data.clip_of[i] for i in idx], patch_scores(real, lips, warp=warp, net=net.refine(warp, lips, win)))
    net.train()
    return acc.result()


def train(args) -> None:
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    split, dev_clips = load_split(), DEV_CLIPS.split(",")
    tr, dev = MouthData([c for c in split["train"] if c not in dev_clips], 48), MouthData(dev_clips, 48)
    net, ema = FlowNet(args.mode == "flow+colour"), FlowNet(args.mode == "flow+colour")
    rng, win = np.random.default_rng(0), window(48)

    def loss_of_step():
        real, warp, lips = tr.batch(rng.integers(0, len(tr), args.batch), rng)
        return patch_loss(net.refine(warp, lips, win), real)

    def dev_l1(m):
        r = score(m, dev, win)["mean"]
        return r["l1_warp"], r["l1_net"]

    fit(net, ema, loss_of_step, dev_l1, args.lr, args.minutes, Path(args.run) / "ckpt.pt", {"mode": args.mode})


def evaluate(args) -> None:
    va, win = MouthData(load_split()["val"], 48), window(48)
    nets = {"shipped": Shipped()}
    for r in args.run:
        st = torch.load(Path(r) / "ckpt.pt", weights_only=False)
        n = FlowNet(st["mode"] == "flow+colour")
        n.load_state_dict(st["ema"])
        nets[f"{r} ({st['mode']}, step {st['step']})"] = n
    out = {}
    for name, net in nets.items():
        out[name] = score(net, va, win)
        print(report(name, out[name]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


def main(argv=None):
    experiment_cli("python -m neural.mouth_flow", train, evaluate, lambda t: t.add_argument("--mode", choices=("flow", "flow+colour"), required=True), lambda e: None, minutes=14.0, threads=1, argv=argv)


if __name__ == "__main__":
    main()
