import numpy as np

from neural.data import load_clip, process_clip
from neural.landmarks import PARTS


def test_pipeline_short_clip(tmp_path):
    cd = load_clip("liveportrait-d1", 64, cache_dir=tmp_path)  # 0.5 s, 16 frames
    assert cd.frames.shape == (16, 64, 64, 3) and cd.frames.dtype == np.uint8
    assert cd.lmimg.shape == (16, 64, 64, 3) and cd.points.shape == (16, 478, 3)
    # the face is centred in the crop and fills a sensible part of it
    oval = cd.points[:, PARTS[0][1], :2]
    centre = oval.mean(1).mean(0)
    assert np.all(np.abs(centre - 32) < 10), centre
    width = (oval[..., 0].max(1) - oval[..., 0].min(1)).mean()
    assert 20 < width < 48, width
    # landmark image: the outer lips are drawn in pure red, the face oval in white
    red = (cd.lmimg[..., 0] == 255) & (cd.lmimg[..., 1] == 0) & (cd.lmimg[..., 2] == 0)
    white = (cd.lmimg == 255).all(-1)
    assert red.sum() > 16 * 10 and white.sum() > 16 * 40
    # the crop holds the face: skin-ish (not black) in the middle
    assert cd.frames[:, 24:40, 24:40].mean() > 60
    # cached: files written, reloading gives identical arrays
    files = sorted(p.name for p in (tmp_path / "v1-64").iterdir())
    assert files == ["liveportrait-d1.frames.npy", "liveportrait-d1.lmimg.npy", "liveportrait-d1.points.npy"]
    again = load_clip("liveportrait-d1", 64, cache_dir=tmp_path)
    assert np.array_equal(again.frames, cd.frames) and np.array_equal(again.lmimg, cd.lmimg)


def test_partial_decode():
    cd = process_clip("liveportrait-d1", 32, max_frames=4)
    assert cd.frames.shape == (4, 32, 32, 3)
