"""v1 warp renders as G's extra input channels (the bi-layer refiner, issue 8).

The renders come from the TypeScript warp generator (pure TS, CPU rasteriser) run in Node by
`packages/client/scripts/neural-warp-cache.ts`; this module is the Python side of that exchange:

* `dump_boxes` writes, per clip, the exact crop data.py uses (frame size, indices of the tracked
  frames it keeps, the integer crop rectangle Pillow crops) to `<cache>/warp-boxes/<clip>.json`;
  the Node script renders the warp for every kept frame at the clip's full-frame geometry, crops
  it with the same rectangle (Pillow-style antialiased bilinear, black outside the frame) and
  writes `<cache>/warp-v<WARP_VERSION>-<size>/<clip>.warp.npy`, uint8 (N, S, S, 4): RGB of the
  warp render + its coverage mask (face-oval polygon, ×255), row j ↔ data.py's frame j.
* `load_warp` reads that file (memory-mapped), or returns None when it is missing.

    cd models && $VENV/bin/python -m neural.warp_cache boxes          # all clips of split.json
    npx tsx packages/client/scripts/neural-warp-cache.ts --size 64    # (from the repo root)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
from pathlib import Path

import numpy as np

from .data import CACHE_DIR, DATA_DIR, crop_boxes, probe, read_track

WARP_VERSION = 1


def frame_count(path: Path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
                          "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip().split("\n")[0].strip(","))


def clip_boxes(name: str) -> dict:
    """The crop of every frame data.py keeps: same tracks, same smoothing, same rounding."""
    clip = DATA_DIR / "clips" / f"{name}.mp4"
    track = read_track(DATA_DIR / "tracks" / f"{name}.jsonl.gz")
    w, h = probe(clip)
    n = min(frame_count(clip), len(track))
    keep = [i for i in range(n) if track[i].get("landmarks")]
    pts = np.array([track[i]["landmarks"] for i in keep], np.float32)
    px = pts * np.array([w, h, w], np.float32)
    boxes = crop_boxes(px)
    rects = []
    for cx, cy, s in boxes:
        x0, y0 = cx - s / 2, cy - s / 2
        rects.append([int(round(x0)), int(round(y0)), int(round(s))])
    return {"clip": name, "width": w, "height": h, "keep": keep, "rects": rects}


def boxes_dir(cache_dir: Path | None = None) -> Path:
    return Path(cache_dir or CACHE_DIR) / "warp-boxes"


def warp_dir(size: int, cache_dir: Path | None = None) -> Path:
    return Path(cache_dir or CACHE_DIR) / f"warp-v{WARP_VERSION}-{size}"


def dump_boxes(names: list[str], cache_dir: Path | None = None) -> Path:
    d = boxes_dir(cache_dir)
    d.mkdir(parents=True, exist_ok=True)
    for n in names:
        f = d / f"{n}.json"
        if f.exists():
            continue
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps(clip_boxes(n)))
        os.replace(tmp, f)
    return d


def load_warp(name: str, size: int, cache_dir: Path | None = None) -> np.ndarray | None:
    f = warp_dir(size, cache_dir) / f"{name}.warp.npy"
    return np.load(f, mmap_mode="r") if f.exists() else None


def main(argv=None):
    from .episodes import load_split
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["boxes", "check"])
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--clips", nargs="*")
    a = ap.parse_args(argv)
    split = load_split()
    names = a.clips or sorted(split["train"] + split["val"])
    if a.cmd == "boxes":
        print(dump_boxes(names))
        return
    from .data import load_clip
    for n in names:
        w = load_warp(n, a.size)
        d = load_clip(n, a.size)
        if w is None:
            print(f"{n}: missing")
            continue
        assert len(w) == len(d.frames), (n, len(w), len(d.frames))
        l1 = np.abs(w[..., :3].astype(np.float32) - d.frames.astype(np.float32)).mean() / 255
        print(f"{n}: {len(w)} frames, warp vs real L1 {l1:.4f}, mask mean {w[..., 3].mean() / 255:.3f}")


if __name__ == "__main__":
    main()
