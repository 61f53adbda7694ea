"""Data pipeline: decode clips with ffmpeg, read the reference MediaPipe tracks, align/crop faces,
rasterise landmark images and cache everything as .npy under models/.cache/neural/<size>/.

Crop: per frame, the face-oval bounding box of the tracked landmarks gives a centre and a side
(`CROP_SCALE` × the larger box side, centre shifted up by `CROP_SHIFT` × side so the whole head fits);
both are smoothed over time with a centred moving average (window `SMOOTH`) so the crop doesn't
jitter; frames without a face are dropped. Out-of-frame parts of a crop are black.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .landmarks import PARTS, rasterise

MODELS_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("VISAGE_DATA", MODELS_DIR.parent.parent / "shared" / "data"))
CACHE_DIR = Path(os.environ.get("VISAGE_CACHE", MODELS_DIR / ".cache" / "neural"))
CACHE_VERSION = 1
CROP_SCALE = 1.9
CROP_SHIFT = 0.08
SMOOTH = 9
FACE_OVAL = PARTS[0][1]


@dataclass
class ClipData:
    name: str
    frames: np.ndarray  # uint8 (N, S, S, 3) RGB crops
    lmimg: np.ndarray   # uint8 (N, S, S, 3) landmark images
    points: np.ndarray  # float32 (N, 478, 3): x, y in crop pixels, z scaled like x


def read_track(path: Path) -> list[dict]:
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f if line.strip()]


def probe(path: Path) -> tuple[int, int]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
         "-of", "csv=p=0", str(path)], check=True, capture_output=True, text=True).stdout
    w, h = out.strip().split("\n")[0].split(",")[:2]
    return int(w), int(h)


def decode(path: Path, max_frames: int | None = None):
    """Yield RGB uint8 frames (H, W, 3) of a video via an ffmpeg rawvideo pipe."""
    w, h = probe(path)
    cmd = ["ffmpeg", "-v", "error", "-i", str(path)]
    if max_frames is not None:
        cmd += ["-frames:v", str(max_frames)]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    n = w * h * 3
    try:
        while True:
            buf = proc.stdout.read(n)
            if len(buf) < n:
                break
            yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
    finally:
        proc.stdout.close()
        proc.wait()


def _smooth(x: np.ndarray, win: int) -> np.ndarray:
    if len(x) < 2 or win <= 1:
        return x
    pad = win // 2
    xp = np.concatenate([np.repeat(x[:1], pad, 0), x, np.repeat(x[-1:], pad, 0)], 0)
    k = np.ones(win) / win
    return np.stack([np.convolve(xp[:, j], k, mode="valid") for j in range(x.shape[1])], 1)


def crop_boxes(points_px: np.ndarray) -> np.ndarray:
    """(N, 478, 2) pixel landmarks -> (N, 3) smoothed (cx, cy, side)."""
    oval = points_px[:, FACE_OVAL, :2]
    lo, hi = oval.min(1), oval.max(1)
    side = (hi - lo).max(1) * CROP_SCALE
    c = (lo + hi) / 2
    c[:, 1] -= CROP_SHIFT * side
    return _smooth(np.concatenate([c, side[:, None]], 1), SMOOTH)


def process_clip(name: str, size: int, max_frames: int | None = None) -> ClipData:
    clip = DATA_DIR / "clips" / f"{name}.mp4"
    track = read_track(DATA_DIR / "tracks" / f"{name}.jsonl.gz")
    w, h = probe(clip)
    frames = list(decode(clip, max_frames))
    n = min(len(frames), len(track))
    keep = [i for i in range(n) if track[i].get("landmarks")]
    if not keep:
        raise ValueError(f"{name}: no tracked faces")
    pts = np.array([track[i]["landmarks"] for i in keep], np.float32)  # (N, 478, 3), normalised
    px = pts * np.array([w, h, w], np.float32)
    boxes = crop_boxes(px)
    out_f = np.zeros((len(keep), size, size, 3), np.uint8)
    out_l = np.zeros_like(out_f)
    out_p = np.zeros((len(keep), pts.shape[1], 3), np.float32)
    for j, i in enumerate(keep):
        cx, cy, s = boxes[j]
        x0, y0 = cx - s / 2, cy - s / 2
        im = Image.fromarray(frames[i]).crop((round(x0), round(y0), round(x0) + round(s), round(y0) + round(s)))
        out_f[j] = np.asarray(im.resize((size, size), Image.BILINEAR, reducing_gap=2.0))
        scale = size / round(s)
        p = px[j].copy()
        p[:, 0] = (p[:, 0] - round(x0)) * scale
        p[:, 1] = (p[:, 1] - round(y0)) * scale
        p[:, 2] *= scale
        out_p[j] = p
        out_l[j] = rasterise(p, size)
    return ClipData(name, out_f, out_l, out_p)


def load_clip(name: str, size: int, cache_dir: Path | None = None) -> ClipData:
    """Cached `process_clip`: .npy files under <cache>/<size>/<name>.{frames,lmimg,points}.npy."""
    d = Path(cache_dir or CACHE_DIR) / f"v{CACHE_VERSION}-{size}"
    files = {k: d / f"{name}.{k}.npy" for k in ("frames", "lmimg", "points")}
    if all(f.exists() for f in files.values()):
        return ClipData(name, *(np.load(files[k], mmap_mode="r") for k in ("frames", "lmimg", "points")))
    cd = process_clip(name, size)
    d.mkdir(parents=True, exist_ok=True)
    for k, f in files.items():
        tmp = f.with_suffix(".tmp.npy")
        np.save(tmp, getattr(cd, k))
        os.replace(tmp, f)
    return cd


def all_clip_names() -> list[str]:
    return sorted(p.stem for p in (DATA_DIR / "clips").glob("*.mp4"))
