"""Experiment (session 14): the shipped mouth refiner trained with a loss that forgives small
misalignment of detail instead of the pixel loss that answers it with blur. Session 14's oracle
found that identity is in the face's detail (the real inner face's detail, pasted, takes K=8 CSIM
from 0.903 to 0.960; its shading alone to 0.905), and the refiners keep little detail.

The loss (`--loss tolerant`): L1 of the low frequencies (a 5×5 box blur) plus, for the detail (the
patch minus that blur), the L1 to the real detail shifted by up to ±SHIFT px, the best shift chosen
per WINDOW×WINDOW window. Drawing no detail costs the real detail's whole amount; drawing the real
detail a pixel or two off costs nearly nothing. Unlike session 8's detail term (local amounts of
detail, which stripes satisfy), it asks for the real detail's pattern. `--loss shipped` is mouth.py's
loss, as the control trained the same way.

    python -m neural.mouth_sharp train --loss tolerant|shipped [--minutes 14] [--threads 1] --run runs/mouth-sharp
    python -m neural.mouth_sharp eval --run runs/mouth-sharp [--run …] [--json out.json]
    python -m neural.mouth export --ckpt runs/mouth-sharp/ckpt.pt --out <dir>   # for npm run eval --mouth-weights
"""
from __future__ import annotations


import torch
import torch.nn.functional as F

from .mouth import CHANNELS, MouthNet, patch_loss, refine
from .patch_fit import evaluate_refiners, experiment_cli, train_refiner

SHIFT = 2
WINDOW = 8
BLUR = 5


def split_bands(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(low, detail): a BLUR×BLUR box blur (edges replicated) and the rest."""
    low = F.avg_pool2d(F.pad(t, (BLUR // 2,) * 4, mode="replicate"), BLUR, stride=1)
    return low, t - low


def tolerant_loss(out: torch.Tensor, real: torch.Tensor, shift: int = SHIFT, win: int = WINDOW) -> torch.Tensor:
    """L1 of the low band + per window the smallest L1 between the detail and the real detail shifted by
    up to ±shift px ([-1, 1] images, side a multiple of win)."""
    lo_o, hp_o = split_bands(out)
    lo_r, hp_r = split_bands(real)
    s = out.shape[-1]
    pad = F.pad(hp_r, (shift,) * 4, mode="replicate")
    errs = [F.avg_pool2d((hp_o - pad[..., dy:dy + s, dx:dx + s]).abs().mean(1, keepdim=True), win)
            for dy in range(2 * shift + 1) for dx in range(2 * shift + 1)]
    return (lo_o - lo_r).abs().mean() + torch.stack(errs).min(0).values.mean()


class Net(MouthNet):
    def refine(self, warp, lips, win):
        return refine(self, warp, lips, win)


def train(args) -> None:
    # size and chs: what `python -m neural.mouth export --ckpt` reads.
    train_refiner(args, Net, tolerant_loss if args.loss == "tolerant" else patch_loss, {"loss": args.loss, "size": 48, "chs": list(CHANNELS)})


def evaluate(args) -> None:
    evaluate_refiners(args.run, lambda st: Net(), lambda st: st["loss"], args.json)


def main(argv=None):
    experiment_cli("python -m neural.mouth_sharp", train, evaluate, lambda t: t.add_argument("--loss", choices=("tolerant", "shipped"), required=True), lambda e: None, minutes=14.0, threads=1, argv=argv)


if __name__ == "__main__":
    main()
