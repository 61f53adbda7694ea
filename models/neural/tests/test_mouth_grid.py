import gzip
import json
import subprocess

import numpy as np
from PIL import Image

from neural.mouth_grid import OUTER_LIPS, main


def _video(path, frames):
    """A lossless side-by-side video from uint8 [n, 64, 192, 3] frames."""
    n, h, w, _ = frames.shape
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", "25", "-i", "-",
                    "-c:v", "libx264rgb", "-qp", "0", str(path)], input=frames.tobytes(), check=True)


def test_crops_each_row_at_the_lips(tmp_path):
    # Clip 128×128, crop box (32, 32, side 64) → 64-px panels; driven from clip frame 10. Frame k's
    # lips are at clip pixel (64 + 8k, 80), panel pixel (32 + 8k, 48): a square marks them in each panel.
    size, n, start = 64, 3, 10
    frames = np.zeros((n, size, 3 * size, 3), np.uint8)
    track = [{"t": i, "landmarks": None} for i in range(start + n)]
    for k in range(n):
        cx, cy = 64 + 8 * k, 80  # clip pixels
        px, py = (cx - 32) * size // 64, (cy - 32) * size // 64
        for panel, value in ((0, 255), (1, 200), (2, 90)):
            frames[k, py - 2:py + 2, panel * size + px - 2:panel * size + px + 2] = value
        lm = [[0.5, 0.5, 0.0] for _ in range(478)]
        for i in OUTER_LIPS:
            lm[i] = [cx / 128, cy / 128, 0.0]
        track[start + k] = {"t": start + k, "landmarks": lm}
    _video(tmp_path / "a.mp4", frames)
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    with gzip.open(tracks / "clip.jsonl.gz", "wt") as f:
        f.write("\n".join(json.dumps(t) for t in track))
    res = tmp_path / "r.json"
    res.write_text(json.dumps({"details": {"crop": {"x": 32, "y": 32, "side": 64}, "video": {"path": "/x/clip.mp4", "width": 128, "height": 128},
                                           "driven": {"start": start}}}))
    out = tmp_path / "g.png"
    rc = main(["--result", str(res), "--frames", "10,12", "--box", "16,16", "--scale", "1", "--colors", "0", "--tracks", str(tracks), "--out", str(out), f"{tmp_path / 'a.mp4'}=ours"])
    assert rc == 0
    g = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert g.shape == (16 + 2 * 18, 2 * 18, 3)
    for row in range(2):
        cell = lambda col: g[16 + row * 18 + 1:16 + row * 18 + 17, col * 18 + 1:col * 18 + 17]
        # the marker sits in the middle of each crop: real (255) then ours (200)
        for col, value in ((0, 255), (1, 200)):
            c = cell(col)
            assert abs(c[6:10, 6:10].mean() - value) < 12, (row, col, c[6:10, 6:10].mean())
            assert c[:3].mean() < 12 and c[:, :3].mean() < 12


def test_centres_on_the_face_when_asked(tmp_path):
    # The lips at clip pixel (64, 96), every other landmark at (64, 64): --centre face puts the crop
    # on the landmarks' mean, a little below (64, 64); the marker sits there, not at the lips.
    size, start = 64, 0
    frames = np.zeros((1, size, 2 * size, 3), np.uint8)
    lm = [[0.5, 0.5, 0.0] for _ in range(478)]
    for i in OUTER_LIPS:
        lm[i] = [0.5, 0.75, 0.0]
    my = (64 * (478 - len(OUTER_LIPS)) + 96 * len(OUTER_LIPS)) / 478  # clip y of the mean
    py = round((my - 32) * size / 64)
    for panel, value in ((0, 255), (1, 200)):
        frames[0, py - 2:py + 2, panel * size + 30:panel * size + 34] = value
    _video(tmp_path / "a.mp4", frames)
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    with gzip.open(tracks / "clip.jsonl.gz", "wt") as f:
        f.write(json.dumps({"t": 0, "landmarks": lm}))
    res = tmp_path / "r.json"
    res.write_text(json.dumps({"details": {"crop": {"x": 32, "y": 32, "side": 64}, "video": {"path": "/x/clip.mp4", "width": 128, "height": 128},
                                           "driven": {"start": start}}}))
    out = tmp_path / "g.png"
    args = ["--result", str(res), "--frames", "0", "--box", "16,16", "--scale", "1", "--colors", "0", "--tracks", str(tracks), "--out", str(out), f"{tmp_path / 'a.mp4'}=ours"]
    assert main([*args, "--centre", "face"]) == 0
    g = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert abs(g[16 + 1 + 6:16 + 1 + 10, 1 + 6:1 + 10].mean() - 255) < 12
    assert main(args) == 0  # on the lips (panel y 64): the marker is outside the crop
    g = np.asarray(Image.open(out).convert("RGB")).astype(int)
    assert g[16 + 1:16 + 17, 1:17].mean() < 12


def test_refuses_bad_input(tmp_path, capsys):
    res = tmp_path / "r.json"
    res.write_text(json.dumps({"details": {"crop": {"x": 0, "y": 0, "side": 64}, "video": {"path": "/x/clip.mp4", "width": 64, "height": 64}, "driven": {"start": 0}}}))
    tracks = tmp_path / "tracks"
    tracks.mkdir()
    with gzip.open(tracks / "clip.jsonl.gz", "wt") as f:
        f.write(json.dumps({"t": 0, "landmarks": None}))
    (tmp_path / "v.mp4").write_bytes(b"not a video")
    assert main(["--result", str(res), "--frames", "0", "--tracks", str(tracks), "--out", str(tmp_path / "g.png"), str(tmp_path / "v.mp4")]) == 2
    assert "not a video" in capsys.readouterr().err
    assert main(["--result", str(res), "--frames", "x", "--tracks", str(tracks), "--out", str(tmp_path / "g.png"), str(tmp_path / "v.mp4")]) == 2
    assert "integers" in capsys.readouterr().err
    assert main(["--result", str(res), "--frames", "0", "--colors", "300", "--tracks", str(tracks), "--out", str(tmp_path / "g.png"), str(tmp_path / "v.mp4")]) == 2
    assert "--colors" in capsys.readouterr().err
    assert main(["--result", str(tmp_path / "missing.json"), "--frames", "0", "--out", str(tmp_path / "g.png"), str(tmp_path / "v.mp4")]) == 2
