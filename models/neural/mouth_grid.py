"""Mouth (or face) crops from `npm run eval --side-by-side` videos, side by side, as a PNG grid.

    python -m neural.mouth_grid --result RUN.json --frames 52,67,160 --out grid.png \
        VIDEO.mp4[=LABEL] [VIDEO.mp4[=LABEL] ...]

RUN.json is the `npm run eval --json` result of the first video's run (its crop box and driven
range place the mouth). Every video is a side-by-side of the same clip, frames and crop size
(real | ours | ...); the grid's first column is the real panel of the first video, then the
"ours" panel of each video. Rows are clip frames (`--frames`, clip frame numbers); each crop is
centred on that frame's lips in the clip's reference track (../shared/data/tracks).
"""
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

OUTER_LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]
DEFAULT_TRACKS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "tracks"


class GridError(Exception):
    pass


def read_video(path: str) -> tuple[np.ndarray, int]:
    """All frames of a side-by-side video as uint8 [n, S, k*S, 3] and the panel size S."""
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "csv=p=0", path], capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.strip():
        raise GridError(f"{path}: not a video ({probe.stderr.strip()})")
    w, h = (int(v) for v in probe.stdout.strip().split("\n")[0].split(","))
    if w % h:
        raise GridError(f"{path}: {w}×{h} is not a row of square panels")
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3), h


def centre(track: list[dict], frame: int, crop: dict, video: dict, size: int, on: str = "lips") -> tuple[float, float]:
    """Panel pixel of the frame's lips (the outer lip ring's mean) or face (all its landmarks' mean)."""
    lm = track[frame].get("landmarks") if frame < len(track) else None
    if not lm:
        raise GridError(f"clip frame {frame} has no face in the track")
    idx = OUTER_LIPS if on == "lips" else range(len(lm))
    xs = [lm[i][0] * video["width"] for i in idx]
    ys = [lm[i][1] * video["height"] for i in idx]
    k = size / crop["side"]
    return (sum(xs) / len(xs) - crop["x"]) * k, (sum(ys) / len(ys) - crop["y"]) * k


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m neural.mouth_grid", description=__doc__.split("\n\n")[0])
    ap.add_argument("videos", nargs="+", help="side-by-side videos, VIDEO.mp4[=LABEL]")
    ap.add_argument("--result", required=True, help="the first video's npm run eval --json result")
    ap.add_argument("--frames", required=True, help="clip frame numbers, comma-separated")
    ap.add_argument("--out", required=True)
    ap.add_argument("--box", default="90,60", help="crop width,height in panel pixels (default 90,60)")
    ap.add_argument("--scale", type=float, default=2, help="enlargement (default 2)")
    ap.add_argument("--colors", type=int, default=256, help="palette colours of the PNG, 2–256, or 0 for full colour (default 256)")
    ap.add_argument("--tracks", default=str(DEFAULT_TRACKS))
    ap.add_argument("--centre", choices=["lips", "face"], default="lips", help="centre each crop on the lips (default) or the whole face")
    a = ap.parse_args(argv)
    try:
        res = json.loads(Path(a.result).read_text())
        d = res["details"]
        crop, video, start = d["crop"], d["video"], d["driven"]["start"]
        clip = Path(video["path"]).stem
        with gzip.open(Path(a.tracks) / f"{clip}.jsonl.gz", "rt") as f:
            track = [json.loads(line) for line in f if line.strip()]
        try:
            frames = [int(v) for v in a.frames.split(",")]
            bw, bh = (int(v) for v in a.box.split(","))
        except ValueError as e:
            raise GridError(f"--frames and --box take integers: {e}") from e
        if a.scale < 1 or a.scale > 8 or bw < 8 or bh < 8 or not (a.colors == 0 or 2 <= a.colors <= 256):
            raise GridError("--scale must be 1–8, --box at least 8,8, --colors 0 or 2–256")
        labels, vids = ["real"], []
        for v in a.videos:
            path, _, label = v.partition("=")
            frames_v, size = read_video(path)
            vids.append((frames_v, size))
            labels.append(label or Path(path).stem)
        size = vids[0][1]
        if any(s != size for _, s in vids):
            raise GridError("the videos' panels differ in size")
        rows = []
        for fr in frames:
            n = fr - start
            if n < 0 or any(n >= len(v) for v, _ in vids):
                raise GridError(f"clip frame {fr} is outside the videos' driven frames {start}…{start + len(vids[0][0]) - 1}")
            cx, cy = centre(track, fr, crop, video, size, a.centre)
            x0 = int(round(min(max(cx - bw / 2, 0), size - bw)))
            y0 = int(round(min(max(cy - bh / 2, 0), size - bh)))
            cells = [vids[0][0][n, y0:y0 + bh, x0:x0 + bw]] + [v[n, y0:y0 + bh, size + x0:size + x0 + bw] for v, _ in vids]
            rows.append(np.concatenate([np.pad(c, ((1, 1), (1, 1), (0, 0)), constant_values=255) for c in cells], axis=1))
        grid = Image.fromarray(np.concatenate(rows, axis=0))
        grid = grid.resize((round(grid.width * a.scale), round(grid.height * a.scale)), Image.LANCZOS)
        out = Image.new("RGB", (grid.width, grid.height + 16), (255, 255, 255))
        out.paste(grid, (0, 16))
        draw = ImageDraw.Draw(out)
        for k, label in enumerate(labels):
            draw.text((round(k * (bw + 2) * a.scale) + 3, 2), label, fill=(0, 0, 0))
        if a.colors:
            out = out.quantize(colors=a.colors, method=Image.MEDIANCUT, dither=Image.NONE)
        out.save(a.out, optimize=True)
        print(f"{a.out}: {len(frames)} rows × {len(labels)} columns, {out.width}×{out.height}")
        return 0
    except (GridError, OSError, KeyError, json.JSONDecodeError) as e:
        print(f"mouth_grid: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
