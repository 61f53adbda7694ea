"""Experiment (session 13, not shipped): the mouth refiner given a reference — the real mouth patch of
the enrollment photo whose lips are nearest in shape to the frame's — as the few-shot design
conditions its generator on the person's photos. Input 10 channels: warp RGB, lips (2), reference
RGB, reference lips (2); otherwise mouth.py's network, loss, moving average and dev-clip stopping.

    python -m neural.mouth_ref train --refs cache|apart [--minutes 16] [--threads 2] --run runs/mouth-ref
    python -m neural.mouth_ref eval [--shipped] --run runs/mouth-ref [--run runs/mouth-base …] [--json out.json]

References, `--refs`:
  cache  the photos of the warp avatar that rendered the patch (neural-mouth-cache.ts: one frame, or
         8 frames spread over the whole clip) — so at 8 photos a target often has a photo a few
         frames away, nearly itself;
  apart  8 frames of the clip drawn at random for every sample, none within APART frames of the
         target (a call is never seconds from its enrollment photos);
  none   no reference (5 input channels: the shipped refiner's recipe, as a baseline).
`eval` scores what the benchmark would see: the 8 photos spread over the first 20 % of each
held-out clip (npm run eval's K=8 shots), the targets in the last 80 % rendered by the cache's
8-photo warp avatar; L1, lips L1 (inside the outer lip) and SSIM, [0, 1] scale, mean over persons.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .episodes import load_split
from .mouth import CACHE_DIR, CHANNELS, DEV_CLIPS, MouthData, MouthNet, jitter, load_exported, patch_loss, window
from .patch_fit import PerPerson, experiment_cli, fit, patch_scores, report
from .train import MODELS_DIR

APART = 30
SHOTS = 8
ENROLL_FRACTION = 0.2


class RefData(MouthData):
    """MouthData plus, per row, the row of its reference patch and the number of photos of the avatar that rendered it."""

    def __init__(self, clips: list[str], size: int = 48):
        super().__init__(clips, size)
        d = CACHE_DIR / f"mouth-v1-{size}"
        self.ref = np.zeros(len(self), np.int64)
        self.shots = np.zeros(len(self), np.int64)
        self.span: dict[str, tuple[int, int]] = {}
        off = 0
        for c in clips:
            meta = json.loads((d / f"{c}.json").read_text())
            frames, avatar, sets = meta["frames"], meta["avatar"], meta["avatars"]
            if len(set(frames)) != len(frames):
                raise SystemExit(f"{c}: mouth_ref needs one patch per frame (the cache's --avatars 2)")
            row = {f: off + i for i, f in enumerate(frames)}
            for i in range(len(frames)):
                photos = [row[f] for f in sets[avatar[i]] if f in row]
                self.ref[off + i] = self.nearest(off + i, photos)
                self.shots[off + i] = len(photos)
            self.span[c] = (off, off + len(frames))
            off += len(frames)

    def nearest(self, i: int, rows) -> int:
        """The row among `rows` whose lip image is nearest (L1) to row i's."""
        li = self.lips[i].astype(np.float32)
        return int(rows[int(np.argmin([np.abs(li - self.lips[j].astype(np.float32)).mean() for j in rows]))])

    def apart_refs(self, idx, rng: np.random.Generator) -> np.ndarray:
        out = []
        for i in idx:
            a, b = self.span[self.clip_of[i]]
            cand = [j for j in range(a, b) if abs(j - i) >= APART] or [j for j in range(a, b) if j != i] or [i]
            out.append(self.nearest(i, rng.choice(cand, size=min(SHOTS, len(cand)), replace=False)))
        return np.array(out)

    def benchmark_refs(self) -> np.ndarray:
        """Re-points every row's reference at the nearest of SHOTS photos spread over the first 20 % of its clip; returns the scored rows (last 80 %, 8-photo avatar)."""
        scored = []
        for a, b in self.span.values():
            cut = int(ENROLL_FRACTION * (b - a))
            photos = [a + int((j + 0.5) * cut / SHOTS) for j in range(SHOTS)]
            for i in range(a, b):
                self.ref[i] = self.nearest(i, photos)
                if i - a >= cut and self.shots[i] == SHOTS:
                    scored.append(i)
        return np.array(scored)

    def batch_refs(self, idx, augment: np.random.Generator | None = None, refs: np.ndarray | None = None):
        """(real, warp, lips, ref, ref lips) tensors; the same flip and colour jitter on real, warp and reference."""
        idx = np.asarray(idx)
        rr = self.ref[idx] if refs is None else refs
        t = lambda a, scale, off: torch.from_numpy(a).permute(0, 3, 1, 2).float() / scale - off
        real, warp, lips = t(self.real[idx], 127.5, 1), t(self.warp[idx], 127.5, 1), t(self.lips[idx], 255, 0)
        ref, rlips = t(self.real[rr], 127.5, 1), t(self.lips[rr], 255, 0)
        if augment is not None:
            (real, warp, ref), (lips, rlips) = jitter(augment, [real, warp, ref], [lips, rlips])
        return real, warp, lips, ref, rlips


class RefNet(MouthNet):
    """MouthNet with `extra` more input channels (the reference and its lips) into its first convolution."""

    def __init__(self, extra: int):
        super().__init__(CHANNELS)
        self.extra = extra
        self.enc0[0] = nn.Conv2d(5 + extra, CHANNELS[0], 3, 1, 1)

    def refine(self, warp, lips, ref, rlips, win):
        y = self.trunk(torch.cat([warp, lips] + ([ref, rlips] if self.extra else []), 1))
        return (warp + win * torch.sigmoid(y[:, 3:]) * torch.tanh(y[:, :3])).clamp(-1, 1)


@torch.no_grad()
def score(net: RefNet, data: RefData, rows: np.ndarray, win) -> dict:
    """Mean over persons of per-row L1, lips L1, SSIM and lips detail ([0, 1] scale), for the warp and the refined patch."""
    net.eval()
    acc = PerPerson()
    for s in range(0, len(rows), 256):
        idx = rows[s:s + 256]
        real, warp, lips, ref, rlips = data.batch_refs(idx)
        acc.add([data.clip_of[i] for i in idx], patch_scores(real, lips, warp=warp, net=net.refine(warp, lips, ref, rlips, win)))
    net.train()
    return acc.result()


def train(args) -> None:
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    split, dev_clips = load_split(), DEV_CLIPS.split(",")
    tr = RefData([c for c in split["train"] if c not in dev_clips])
    dev = RefData(dev_clips)
    dev_rows = dev.benchmark_refs()
    net, ema = RefNet(0 if args.refs == "none" else 5), RefNet(0 if args.refs == "none" else 5)
    rng, win = np.random.default_rng(0), window(48)

    def loss_of_step():
        idx = rng.integers(0, len(tr), args.batch)
        real, warp, lips, ref, rlips = tr.batch_refs(idx, rng, tr.apart_refs(idx, rng) if args.refs == "apart" else None)
        return patch_loss(net.refine(warp, lips, ref, rlips, win), real)

    def dev_l1(m):
        r = score(m, dev, dev_rows, win)["mean"]
        return r["l1_warp"], r["l1_net"]

    fit(net, ema, loss_of_step, dev_l1, args.lr, args.minutes, Path(args.run) / "ckpt.pt", {"refs": args.refs})


def evaluate(args) -> None:
    va = RefData(load_split()["val"])
    rows, win = va.benchmark_refs(), window(48)
    nets: dict[str, tuple[str, RefNet]] = {}
    if args.shipped:  # the shipped refiner (mouth.py's recipe, session 6), no reference
        net = RefNet(0)
        net.load_state_dict(load_exported(MODELS_DIR / "weights" / "mouth").state_dict())
        nets["shipped"] = ("shipped weights/mouth", net)
    for r in args.run:
        st = torch.load(Path(r) / "ckpt.pt", weights_only=False)
        net = RefNet(0 if st["refs"] == "none" else 5)
        net.load_state_dict(st["ema"])
        nets[r] = (f"{r} (--refs {st['refs']}, step {st['step']})", net)
    out = {}
    for key, (label, net) in nets.items():
        out[key] = score(net, va, rows, win)
        print(report(label, out[key]))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


def main(argv=None):
    experiment_cli("python -m neural.mouth_ref", train, evaluate, lambda t: t.add_argument("--refs", choices=("cache", "apart", "none"), required=True), lambda e: e.add_argument("--shipped", action="store_true", help="also score the shipped mouth refiner (models/weights/mouth)"), minutes=16.0, threads=2, argv=argv)


if __name__ == "__main__":
    main()
