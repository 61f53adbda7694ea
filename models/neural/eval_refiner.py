"""Held-out evaluation of the bi-layer refiner against the v1 warp render it refines.

For each held-out clip (split.json "val"): K references evenly spaced over the first half of
the clip (real crops, as E sees them at enrollment), targets = every `--every`-th frame of the
second half. The warp avatar was enrolled from the frame at 10 % of the clip (warp cache).
Metrics on the S×S crops, [0,1] scale: L1 and SSIM (7×7 Gaussian, as in training) of the warp
render alone and of the composite, over the whole crop and over the mouth (the box around the
outer-lip landmarks, 1.3× their extent).

    cd models && $VENV/bin/python -m neural.eval_refiner --ckpt runs/refine/ckpt.pt \\
        [--out results/neural/refine-eval.json] [--grid results/neural/refine-heldout.png]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from . import losses as L
from .data import load_clip
from .episodes import load_split, to_tensor, warp_tensor, _warp_for
from .landmarks import PARTS
from .nets import Embedder, Generator, NetConfig, composite

OUTER_LIPS = dict((n, i) for n, i, _, _ in PARTS)["outer_lips"]


def load_ckpt(path: Path):
    ck = torch.load(path, weights_only=False)
    cfg = NetConfig(**ck["config"]["net"])
    g, e = Generator(cfg).eval(), Embedder(cfg).eval()
    g.load_state_dict(ck["G"]), e.load_state_dict(ck["E"])
    return g, e, ck


def mouth_box(points: np.ndarray, size: int) -> tuple[int, int, int, int]:
    p = points[OUTER_LIPS, :2]
    lo, hi = p.min(0), p.max(0)
    c, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.3
    x0, y0 = np.clip(np.floor(c - half), 0, size - 1).astype(int)
    x1, y1 = np.clip(np.ceil(c + half), 1, size).astype(int)
    return x0, y0, x1, y1


@torch.no_grad()
def evaluate(g, e, clips: list[str], size: int, ks=(1, 8), every: int = 4, cache_dir=None):
    rows = []
    for name in clips:
        d = load_clip(name, size, cache_dir)
        m = len(d.frames)
        half = max(1, m // 2)
        ti = np.arange(half, m, every)
        warp = warp_tensor(_warp_for(name, size, m, cache_dir)[ti])
        real = to_tensor(np.asarray(d.frames)[ti])
        lm = to_tensor(np.asarray(d.lmimg)[ti])
        boxes = [mouth_box(np.asarray(d.points[i]), size) for i in ti]
        r = {"clip": name, "targets": len(ti)}

        def scores(x, key):
            r[f"l1_{key}"] = float(((x - real).abs().mean() / 2).item())
            r[f"ssim_{key}"] = float(np.mean([L.ssim(x[j:j + 1], real[j:j + 1]).item() for j in range(len(ti))]))
            r[f"mouth_l1_{key}"] = float(np.mean([((x[j, :, y0:y1, x0:x1] - real[j, :, y0:y1, x0:x1]).abs().mean() / 2).item()
                                                  for j, (x0, y0, x1, y1) in enumerate(boxes)]))

        scores(warp[:, :3], "warp")
        for k in ks:
            ri = np.linspace(0, half - 1, k).round().astype(int)
            emb = e(to_tensor(np.asarray(d.frames)[ri])[None], to_tensor(np.asarray(d.lmimg)[ri])[None])
            psi = g.adain_params(emb).expand(len(ti), -1)
            outs = []
            for s in range(0, len(ti), 32):
                rgb, mask = g(lm[s:s + 32], psi[s:s + 32], warp[s:s + 32])
                outs.append((composite(rgb, mask, warp[s:s + 32, :3], g.cfg.residual, g.cfg.lowpass), mask))
            comp = torch.cat([o[0] for o in outs])
            r[f"mask_k{k}"] = float(torch.cat([o[1] for o in outs]).mean().item())
            scores(comp, f"k{k}")
        rows.append(r)
    keys = [k for k in rows[0] if k not in ("clip", "targets")]
    mean = {k: float(np.mean([r[k] for r in rows])) for k in keys}          # clip-weighted
    return rows, mean


@torch.no_grad()
def heldout_grid(g, e, clips: list[str], size: int, path: Path, per_clip: int = 2, k: int = 8, cache_dir=None):
    """Columns: held-out targets (per_clip per clip); rows: warp alone, composite (K=k), real."""
    from PIL import Image
    cols = []
    for name in clips:
        d = load_clip(name, size, cache_dir)
        m = len(d.frames)
        half = max(1, m // 2)
        ti = np.linspace(half, m - 1, per_clip + 2).round().astype(int)[1:-1]
        ri = np.linspace(0, half - 1, k).round().astype(int)
        warp = warp_tensor(_warp_for(name, size, m, cache_dir)[ti])
        emb = e(to_tensor(np.asarray(d.frames)[ri])[None], to_tensor(np.asarray(d.lmimg)[ri])[None])
        rgb, mask = g(to_tensor(np.asarray(d.lmimg)[ti]), g.adain_params(emb).expand(len(ti), -1), warp)
        comp = composite(rgb, mask, warp[:, :3], g.cfg.residual, g.cfg.lowpass)
        real = to_tensor(np.asarray(d.frames)[ti])
        for j in range(len(ti)):
            cols.append(torch.cat([warp[j, :3], comp[j], real[j]], 1))
    img = ((torch.cat(cols, 2).clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    Image.fromarray(img).resize((img.shape[1] * 2, img.shape[0] * 2), Image.NEAREST).save(path, optimize=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--every", type=int, default=4)
    ap.add_argument("--out")
    ap.add_argument("--grid")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    g, e, ck = load_ckpt(Path(a.ckpt))
    size = ck["config"]["size"]
    clips = load_split()["val"]
    rows, mean = evaluate(g, e, clips, size, every=a.every)
    print(f"checkpoint {a.ckpt}: step {ck['step']}, {ck['elapsed'] / 60:.1f} min trained")
    hdr = ["clip", "targets", "l1_warp", "l1_k1", "l1_k8", "ssim_warp", "ssim_k1", "ssim_k8",
           "mouth_l1_warp", "mouth_l1_k1", "mouth_l1_k8", "mask_k1", "mask_k8"]
    print(" | ".join(hdr))
    for r in rows + [{"clip": "mean (per clip)", "targets": sum(r["targets"] for r in rows), **mean}]:
        print(" | ".join(str(r[h]) if h in ("clip", "targets") else f"{r[h]:.4f}" for h in hdr))
    if a.out:
        Path(a.out).write_text(json.dumps({"ckpt": a.ckpt, "step": ck["step"], "elapsed_s": round(ck["elapsed"]),
                                           "every": a.every, "clips": rows, "mean": mean}, indent=1))
    if a.grid:
        heldout_grid(g, e, clips, size, Path(a.grid))


if __name__ == "__main__":
    main()
