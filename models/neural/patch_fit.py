"""What the patch-refiner experiments (mouth_ref.py, mouth_flow.py, mouth_sharp.py) share: per-patch
scores averaged per person, and mouth.py's recipe as a loop — Adam with a cosine decay over a time
budget, an exponential moving average (0.999) of the weights, and the average's state the dev
clips score best kept."""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn as nn

from .episodes import load_split
from .losses import ssim
from .mouth import DEV_CLIPS, MouthData, detail, load_exported, window
from .train import MODELS_DIR


def patch_scores(real: torch.Tensor, lips: torch.Tensor, **images: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per sample, for each named image ([-1, 1]): L1, L1 inside the outer lip (`lips` channel 1), SSIM and
    lips detail (|Laplacian| inside the lip), [0, 1] scale; plus the real patches' lips detail."""
    inside = (lips[:, 1:2] > 0.5).float()
    area = inside.sum((1, 2, 3)).clamp(min=1) * 3
    out = {"detail_real": (detail(real) * inside).sum((1, 2, 3)) / area / 2}
    for name, img in images.items():
        err = (img - real).abs()
        out[f"l1_{name}"] = err.mean((1, 2, 3)) / 2
        out[f"lips_{name}"] = (err * inside).sum((1, 2, 3)) / area / 2
        out[f"ssim_{name}"] = ssim(img, real, per_sample=True)
        out[f"detail_{name}"] = (detail(img) * inside).sum((1, 2, 3)) / area / 2
    return out


class PerPerson:
    """Accumulates per-sample scores by clip; `result()` is the mean per clip and the mean of the clips."""

    def __init__(self):
        self.per: dict[str, dict[str, list[float]]] = {}

    def add(self, clips: list[str], scores: dict[str, torch.Tensor]) -> None:
        for k, v in scores.items():
            for j, c in enumerate(clips):
                self.per.setdefault(c, {}).setdefault(k, []).append(float(v[j]))

    def result(self) -> dict:
        clips = {c: {k: float(np.mean(v)) for k, v in d.items()} for c, d in self.per.items()}
        return {"clips": clips, "mean": {k: float(np.mean([c[k] for c in clips.values()])) for k in next(iter(clips.values()))}}


def report(label: str, res: dict) -> str:
    """One line of a PerPerson result: the means, warp → refined, and L1 per person."""
    m = res["mean"]
    return (f"{label}: L1 {m['l1_warp']:.4f} → {m['l1_net']:.4f}, lips {m['lips_warp']:.4f} → {m['lips_net']:.4f}, "
            f"SSIM {m['ssim_warp']:.4f} → {m['ssim_net']:.4f}, lips detail {m['detail_warp']:.4f} → {m['detail_net']:.4f} "
            f"(real {m['detail_real']:.4f}); L1 per person " + " ".join(f"{v['l1_net']:.4f}" for v in res["clips"].values()))


@torch.no_grad()
def score_refiner(net: nn.Module, data: MouthData, win: torch.Tensor, batch: int = 256) -> dict:
    """PerPerson patch_scores of `net.refine(warp, lips, win)` against the warp over every patch of `data`."""
    net.eval()
    acc = PerPerson()
    for s in range(0, len(data), batch):
        idx = np.arange(s, min(s + batch, len(data)))
        real, warp, lips = data.batch(idx)
        acc.add([data.clip_of[i] for i in idx], patch_scores(real, lips, warp=warp, net=net.refine(warp, lips, win)))
    net.train()
    return acc.result()


def train_refiner(args, make_net: Callable[[], nn.Module], loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], meta: dict) -> None:
    """mouth.py's data and recipe for a refiner with `refine(warp, lips, win)`: 48-px patches of the training
    persons (the dev clips held out to choose the step), `loss(refined, real)`, `fit` for args.minutes."""
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    split, dev_clips = load_split(), DEV_CLIPS.split(",")
    tr, dev = MouthData([c for c in split["train"] if c not in dev_clips], 48), MouthData(dev_clips, 48)
    net, ema = make_net(), make_net()
    rng, win = np.random.default_rng(0), window(48)

    def loss_of_step():
        real, warp, lips = tr.batch(rng.integers(0, len(tr), args.batch), rng)
        return loss(net.refine(warp, lips, win), real)

    def dev_l1(m):
        r = score_refiner(m, dev, win)["mean"]
        return r["l1_warp"], r["l1_net"]

    fit(net, ema, loss_of_step, dev_l1, args.lr, args.minutes, Path(args.run) / "ckpt.pt", meta)


class Shipped(nn.Module):
    """The shipped mouth refiner (models/weights/mouth) with the experiments' `refine(warp, lips, win)`."""

    def __init__(self):
        super().__init__()
        self.net = load_exported(MODELS_DIR / "weights" / "mouth")

    def refine(self, warp, lips, win):
        d, m = self.net(warp, lips)
        return (warp + win * m * d).clamp(-1, 1)


def evaluate_refiners(runs: list[str], make_net: Callable[[dict], nn.Module], label: Callable[[dict], str], json_path: str | None) -> None:
    """Scores the shipped mouth refiner and each run's kept weights (`make_net(checkpoint)`) on every patch
    of the held-out persons; prints a report line each and writes them all to json_path."""
    va, win = MouthData(load_split()["val"], 48), window(48)
    nets = {"shipped": Shipped()}
    for r in runs:
        st = torch.load(Path(r) / "ckpt.pt", weights_only=False)
        n = make_net(st)
        n.load_state_dict(st["ema"])
        nets[f"{r} ({label(st)}, step {st['step']})"] = n
    out = {}
    for name, net in nets.items():
        out[name] = score_refiner(net, va, win)
        print(report(name, out[name]))
    if json_path:
        Path(json_path).write_text(json.dumps(out, indent=1))


def fit(net: nn.Module, ema: nn.Module, loss_of_step: Callable[[], torch.Tensor], dev_l1: Callable[[nn.Module], tuple[float, float]],
        lr: float, minutes: float, checkpoint: Path, meta: dict, validate_every: int = 500) -> None:
    """Trains `net` for `minutes` (loss_of_step draws a batch and returns its loss); every `validate_every`
    steps scores the moving average with dev_l1 (→ warp L1, refined L1) and keeps its best state;
    saves {"ema": best state, "step": its step, **meta} to `checkpoint`."""
    ema.load_state_dict(net.state_dict())
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    best, step, t0, limit = (math.inf, 0, None), 0, time.time(), minutes * 60
    while time.time() - t0 < limit:
        loss = loss_of_step()
        opt.zero_grad()
        loss.backward()
        for g in opt.param_groups:
            g["lr"] = lr * 0.5 * (1 + math.cos(math.pi * min(1.0, (time.time() - t0) / limit)))
        opt.step()
        with torch.no_grad():
            d = min(0.999, (1 + step) / (10 + step))
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.mul_(d).add_(p, alpha=1 - d)
        step += 1
        if step % validate_every == 0:
            warp_l1, net_l1 = dev_l1(ema)
            if net_l1 < best[0]:
                best = (net_l1, step, {k: v.clone() for k, v in ema.state_dict().items()})
            sys.stderr.write(f"step {step} ({time.time() - t0:.0f} s): dev L1 warp {warp_l1:.5f} → {net_l1:.5f} (best @ {best[1]})\n")
    if best[2] is None:
        raise SystemExit(f"no validation in {minutes} min (fewer than {validate_every} steps): train longer")
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"ema": best[2], "step": best[1], **meta}, checkpoint)
    sys.stderr.write(f"kept step {best[1]} → {checkpoint}\n")


def experiment_cli(prog: str, train: Callable, evaluate: Callable, train_args: Callable, eval_args: Callable,
                   minutes: float, threads: int, argv=None) -> None:
    """`train` (the shared options: --run, --minutes, --threads, --batch, --lr, checked; plus train_args')
    and `eval` (--run, repeatable, and --json; plus eval_args') subcommands of an experiment."""
    ap = argparse.ArgumentParser(prog=prog)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    train_args(t)
    t.add_argument("--run", required=True)
    t.add_argument("--minutes", type=float, default=minutes)
    t.add_argument("--threads", type=int, default=threads)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--lr", type=float, default=5e-4)
    e = sub.add_parser("eval")
    e.add_argument("--run", action="append", default=[])
    e.add_argument("--json")
    eval_args(e)
    args = ap.parse_args(argv)
    if args.cmd == "train":
        if args.minutes <= 0 or args.threads < 1 or args.batch < 1 or args.lr <= 0:
            ap.error("--minutes > 0, --threads ≥ 1, --batch ≥ 1, --lr > 0")
        train(args)
    else:
        evaluate(args)
