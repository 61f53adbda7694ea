"""Identity split and K-shot meta-learning episodes over the cached clips."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .data import load_clip
from .warp_cache import load_warp

SPLIT_FILE = Path(__file__).resolve().parent / "split.json"


def load_split(path: Path = SPLIT_FILE) -> dict:
    """{"train": [clip...], "val": [clip...], "persons": {person: [clip...]}}."""
    return json.loads(Path(path).read_text())


def to_tensor(a: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, 3) -> float (..., 3, H, W) in [-1, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(a)).float().div_(127.5).sub_(1)
    return t.movedim(-1, -3)


def warp_tensor(a: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W, 4) warp cache rows -> float (..., 4, H, W): RGB in [-1, 1], mask in [0, 1]."""
    t = torch.from_numpy(np.ascontiguousarray(a)).float()
    t[..., :3] = t[..., :3] / 127.5 - 1
    t[..., 3] = t[..., 3] / 255
    return t.movedim(-1, -3)


def _warp_for(name: str, size: int, n: int, cache_dir) -> np.ndarray:
    w = load_warp(name, size, cache_dir)
    if w is None:
        raise FileNotFoundError(f"{name}: no warp renders at {size} px; run `python -m neural.warp_cache boxes` "
                                f"then `npx tsx packages/client/scripts/neural-warp-cache.ts --size {size}`")
    if len(w) != n:
        raise ValueError(f"{name}: {len(w)} warp renders for {n} frames (stale cache?)")
    return np.asarray(w)


class EpisodeSampler:
    """Each episode: a video i, K reference (frame, landmark) pairs and one distinct target pair.
    K is drawn per batch from [k_min, k_max] (one K for the whole batch).

    ref_gap > 0: the references are drawn only from frames at least ref_gap × (clip length) away
    from the target, as at run time, where the enrollment photos are not the frames being
    rendered. Without it, E sees the target's temporal neighbours and G learns to copy their
    look — which helps on the training clips and not on new people."""

    def __init__(self, clips: list[str], size: int, seed: int = 0, cache_dir=None, warp: bool = False, ref_gap: float = 0.0):
        self.names = clips
        self.data = [load_clip(n, size, cache_dir) for n in clips]
        self.frames = [np.asarray(d.frames) for d in self.data]
        self.lmimg = [np.asarray(d.lmimg) for d in self.data]
        self.warp = [_warp_for(n, size, len(f), cache_dir) for n, f in zip(clips, self.frames)] if warp else None
        self.ref_gap = ref_gap
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.names)

    def sample(self, batch: int, k_min: int, k_max: int):
        k = int(self.rng.integers(k_min, k_max + 1))
        vids = self.rng.integers(0, len(self.names), batch)
        rf, rl, tf, tl, tw = [], [], [], [], []
        for v in vids:
            n = len(self.frames[v])
            if self.ref_gap > 0:
                t = int(self.rng.integers(0, n))
                far = np.flatnonzero(np.abs(np.arange(n) - t) >= max(1, int(self.ref_gap * n)))
                refs = self.rng.choice(far, size=k, replace=len(far) < k)
                idx = np.append(refs, t)
            else:
                idx = self.rng.choice(n, size=k + 1, replace=n < k + 1)
            rf.append(self.frames[v][idx[:k]])
            rl.append(self.lmimg[v][idx[:k]])
            tf.append(self.frames[v][idx[k]])
            tl.append(self.lmimg[v][idx[k]])
            if self.warp is not None:
                tw.append(self.warp[v][idx[k]])
        out = {
            "ref_frames": to_tensor(np.stack(rf)), "ref_lms": to_tensor(np.stack(rl)),
            "frame": to_tensor(np.stack(tf)), "lm": to_tensor(np.stack(tl)),
            "vid": torch.from_numpy(vids).long(), "k": k,
        }
        if self.warp is not None:
            out["warp"] = warp_tensor(np.stack(tw))
        return out

    def rng_state(self):
        return self.rng.bit_generator.state

    def set_rng_state(self, s):
        self.rng.bit_generator.state = s


def fixed_episodes(clips: list[str], size: int, k: int, targets: int = 4, cache_dir=None, warp: bool = False):
    """Deterministic evaluation episodes: K references evenly spaced over the first half of each
    clip, `targets` targets evenly spaced over the second half (so targets never are references).
    warp=True adds the targets' v1 warp channels (the warp avatar is enrolled at 10 % of the clip)."""
    out = []
    for n in clips:
        d = load_clip(n, size, cache_dir)
        m = len(d.frames)
        half = max(1, m // 2)
        ri = np.linspace(0, half - 1, k).round().astype(int)
        ti = np.linspace(half, m - 1, targets).round().astype(int)
        extra = {"warp": warp_tensor(_warp_for(n, size, m, cache_dir)[ti])} if warp else {}
        out.append({**extra,
            "name": n,
            "ref_frames": to_tensor(np.asarray(d.frames)[ri])[None].expand(targets, -1, -1, -1, -1),
            "ref_lms": to_tensor(np.asarray(d.lmimg)[ri])[None].expand(targets, -1, -1, -1, -1),
            "frame": to_tensor(np.asarray(d.frames)[ti]), "lm": to_tensor(np.asarray(d.lmimg)[ti]),
        })
    return out
