"""restore.py: the residual filter is the identity at zero, and fitted on blurred pairs it gives back detail."""
from types import SimpleNamespace

import numpy as np

from neural.restore import K, apply, detail, fit


def test_zero_filter_is_identity():
    img = (np.random.default_rng(0).random((16, 16, 3)) * 255).astype(np.uint8)
    out = apply(np.zeros((K * K, 3, 3)), np.zeros(3), img)
    assert np.allclose(out, img / 255)


def test_fit_undoes_a_blur(tmp_path):
    rng = np.random.default_rng(1)
    real = (rng.random((6, 32, 32, 3)) * 255).astype(np.float64)
    real = (real + np.roll(real, 1, 1) + np.roll(real, 1, 2)) / 3  # some correlation, still detailed
    blur = (real + np.roll(real, 1, 1) + np.roll(real, -1, 1) + np.roll(real, 1, 2) + np.roll(real, -1, 2)) / 5
    for i, name in enumerate(("a", "b")):
        sl = slice(3 * i, 3 * i + 3)
        np.save(tmp_path / f"{name}.real.npy", real[sl].round().astype(np.uint8))
        np.save(tmp_path / f"{name}.warp.npy", blur[sl].round().astype(np.uint8))
        np.save(tmp_path / f"{name}.mask.npy", np.ones((3, 32, 32), np.uint8))
    r = fit(SimpleNamespace(pairs=str(tmp_path), samples=5000, ridge=1e-6), split={"train": ["a"], "val": ["b"]})
    h = r["heldout"]
    assert h["l1_restored"] < 0.8 * h["l1_warp"]
    assert h["detail_restored"] > h["detail_warp"]
    assert len(r["kernel"]) == K * K and np.asarray(r["kernel"]).shape == (K * K, 3, 3)
    assert detail(np.zeros((4, 4, 3))).sum() == 0
