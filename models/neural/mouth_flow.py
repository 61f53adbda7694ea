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


import torch
import torch.nn as nn
import torch.nn.functional as F

from .mouth import CHANNELS, MouthNet, patch_loss
from .patch_fit import evaluate_refiners, experiment_cli, train_refiner

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


def train(args) -> None:
    train_refiner(args, lambda: FlowNet(args.mode == "flow+colour"), patch_loss, {"mode": args.mode})


def evaluate(args) -> None:
    evaluate_refiners(args.run, lambda st: FlowNet(st["mode"] == "flow+colour"), lambda st: st["mode"], args.json)


def main(argv=None):
    experiment_cli("python -m neural.mouth_flow", train, evaluate, lambda t: t.add_argument("--mode", choices=("flow", "flow+colour"), required=True), lambda e: None, minutes=14.0, threads=1, argv=argv)


if __name__ == "__main__":
    main()
