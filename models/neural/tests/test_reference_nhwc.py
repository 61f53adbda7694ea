"""The NumPy NHWC reference (the spec for the tfjs port) reproduces PyTorch within 1e-3."""
import numpy as np
import pytest
import torch

from neural.export import export, parity_inputs, read_parity, write_parity
from neural.nets import Embedder, Generator, NetConfig
from neural import reference_nhwc


@pytest.mark.parametrize("cfg", [NetConfig(), NetConfig(refine=True, residual=True, mask_face=True, mask_bias=-2.0)],
                         ids=["generator", "face-masked residual refiner"])
def test_reference_matches_pytorch(tmp_path, cfg):
    torch.manual_seed(1)
    g, e = Generator(cfg), Embedder(cfg)
    with torch.no_grad():
        g.proj.weight.normal_(0, 0.02)
        g.proj.bias.normal_(0, 0.1)
        if cfg.refine:
            g.out.weight.normal_(0, 0.05)  # a non-trivial correction and mask
    export(g, e, tmp_path, 64)
    inputs = parity_inputs(64, k=2)
    inputs["warp"] = torch.rand(1, 4, 64, 64) * 2 - 1  # exercise the warp channels too
    inputs["warp"][:, 3] = inputs["warp"][:, 3].abs()  # the coverage mask is in [0, 1]
    write_parity(tmp_path, inputs)
    fx = read_parity(tmp_path)
    out = reference_nhwc.run(tmp_path, fx)
    for k in ("embedding", "psi", "rgb", "mask", "composite"):
        assert np.abs(out[k] - fx[k]).max() < 1e-3, k


def test_reference_reproduces_committed_fixture():
    import pytest
    from pathlib import Path
    weights = Path(__file__).resolve().parents[2] / "weights" / "neural"
    if not (weights / "model.json").exists():
        pytest.skip("no committed weights")
    fx = read_parity(weights)
    out = reference_nhwc.run(weights, fx)
    for k in ("embedding", "psi", "rgb", "mask", "composite"):
        if k in fx:  # fixtures older than the refiner have no composite
            assert np.abs(out[k] - fx[k]).max() < 1e-3, k
