"""What the warp's resampling takes away, and a linear filter that gives it back (session 8 experiment).

The pairs (`packages/client/scripts/warp-self-pairs.ts`) are frames cut as the benchmark cuts
them and their own one-photo warp renders: same face, same pose, so the difference is the blur of
resampling photo → atlas → frame, not misalignment. A 5×5 residual filter (out = in + Σ k ∗ in,
3 → 3 channels, 225 weights + 3 biases) is fitted to the training persons' pairs by ridge least
squares on the inner-face pixels, and scored on the held-out persons' pairs.

    python -m neural.restore fit [--pairs DIR] [--out results/neural/restore-filter.json]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .episodes import load_split
from .train import MODELS_DIR

PAIRS_DIR = MODELS_DIR / ".cache" / "neural" / "selfpairs-256"
K = 5


def load(clips: list[str], pairs: Path):
    parts = {k: [] for k in ("real", "warp", "mask")}
    for c in clips:
        for k in parts:
            parts[k].append(np.load(pairs / f"{c}.{k}.npy"))
    return tuple(np.concatenate(parts[k]) for k in ("real", "warp", "mask"))


def columns(warp: np.ndarray, ys: np.ndarray, xs: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """(n, K·K·3) neighbourhoods of the given pixels, [0, 1] scale (edges replicated)."""
    r = K // 2
    s = warp.shape[1]
    cols = []
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            cols.append(warp[idx, np.clip(ys + dy, 0, s - 1), np.clip(xs + dx, 0, s - 1)])
    return np.concatenate(cols, 1).astype(np.float64) / 255


def apply(kernel: np.ndarray, bias: np.ndarray, img: np.ndarray) -> np.ndarray:
    """img (S,S,3) uint8 → restored float [0,1] (S,S,3): img + Σ kernel ∗ img + bias."""
    r = K // 2
    x = np.pad(img.astype(np.float64) / 255, ((r, r), (r, r), (0, 0)), mode="edge")
    s = img.shape[0]
    out = img.astype(np.float64) / 255 + bias
    j = 0
    for dy in range(K):
        for dx in range(K):
            out = out + x[dy:dy + s, dx:dx + s] @ kernel[j]
            j += 1
    return np.clip(out, 0, 1)


def detail(img: np.ndarray) -> np.ndarray:
    """|4-neighbour Laplacian| of the luma, per pixel: the benchmark's detail measure (models/eval/sharpen.ts maskedDetail)."""
    y = img @ np.array([0.299, 0.587, 0.114])
    d = np.zeros_like(y)
    d[1:-1, 1:-1] = np.abs(y[:-2, 1:-1] + y[2:, 1:-1] + y[1:-1, :-2] + y[1:-1, 2:] - 4 * y[1:-1, 1:-1])
    return d


def score(kernel, bias, real, warp, mask):
    rows = []
    for k in range(len(real)):
        m = mask[k] > 0
        rf, wf = real[k].astype(np.float64) / 255, warp[k].astype(np.float64) / 255
        of = apply(kernel, bias, warp[k])
        rows.append([np.abs(wf - rf)[m].mean(), np.abs(of - rf)[m].mean(), detail(wf)[m].mean(), detail(of)[m].mean(), detail(rf)[m].mean()])
    return np.mean(rows, 0)


def fit(args, split: dict | None = None) -> dict:
    split = split or load_split()
    pairs = Path(args.pairs)
    real, warp, mask = load(split["train"], pairs)
    rng = np.random.default_rng(0)
    idx, ys, xs = np.nonzero(mask)
    take = rng.choice(len(idx), min(args.samples, len(idx)), replace=False)
    idx, ys, xs = idx[take], ys[take], xs[take]
    X = columns(warp, ys, xs, idx)
    X = np.concatenate([X, np.ones((len(X), 1))], 1)
    Y = (real[idx, ys, xs] .astype(np.float64) - warp[idx, ys, xs].astype(np.float64)) / 255
    A = X.T @ X + args.ridge * len(X) * np.eye(X.shape[1])
    W = np.linalg.solve(A, X.T @ Y)  # (K·K·3 + 1, 3)
    kernel = W[:-1].reshape(K * K, 3, 3)  # [tap][in channel][out channel]
    bias = W[-1]
    out = {"kernel_size": K, "kernel": kernel.tolist(), "bias": bias.tolist(), "samples": int(len(X)), "ridge": args.ridge,
           "train_clips": len(split["train"]), "pairs": str(pairs)}
    for name, clips in (("train", split["train"]), ("heldout", split["val"])):
        if not clips:
            continue
        r, w, m = load(clips, pairs)
        s = score(kernel, bias, r, w, m)
        out[name] = {"l1_warp": s[0], "l1_restored": s[1], "detail_warp": s[2], "detail_restored": s[3], "detail_real": s[4], "pairs": len(r)}
        print(f"{name}: inner-face L1 warp {s[0]:.5f} → restored {s[1]:.5f}; detail warp {s[2]:.4f} → restored {s[3]:.4f} (real {s[4]:.4f}), {len(r)} pairs")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m neural.restore")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fit")
    f.add_argument("--pairs", default=str(PAIRS_DIR))
    f.add_argument("--out", default=str(MODELS_DIR / "results" / "neural" / "restore-filter.json"))
    f.add_argument("--samples", type=int, default=400_000)
    f.add_argument("--ridge", type=float, default=1e-4)
    args = ap.parse_args(argv)
    if args.samples < 1000 or args.ridge < 0:
        ap.error("--samples ≥ 1000, --ridge ≥ 0")
    r = fit(args)
    Path(args.out).write_text(json.dumps(r, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
