import json
from pathlib import Path

import numpy as np
import pytest
import torch

from neural.export import export, fp16_round, load_nets, read_parity, read_weights
from neural.nets import Embedder, Generator, NetConfig

WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "neural"


def _nets():
    torch.manual_seed(0)
    cfg = NetConfig()
    g, e = Generator(cfg).eval(), Embedder(cfg).eval()
    with torch.no_grad():  # make AdaIN non-trivial
        g.proj.weight.normal_(0, 0.02)
        g.proj.bias.normal_(0, 0.1)
    return g, e


def test_export_round_trip(tmp_path):
    g, e = _nets()
    export(g, e, tmp_path, 64)
    model, w = read_weights(tmp_path)
    assert w["G/stem/kernel"].shape == (3, 3, 7, 16)          # HWIO
    assert w["G/proj/kernel"].shape == (256, 1728)            # [in, out]
    assert w["E/enc.stem/kernel"].shape == (3, 3, 6, 16)
    g2, e2, _ = load_nets(tmp_path)
    g16 = fp16_round(g)
    rf, rl = torch.rand(1, 3, 3, 64, 64) * 2 - 1, torch.rand(1, 3, 3, 64, 64) * 2 - 1
    lm = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        emb, emb2 = e(rf, rl), e2(rf, rl)
        assert (emb - emb2).abs().max() < 1e-3
        rgb, mask = g16(lm, g16.adain_params(emb))
        rgb2, mask2 = g2(lm, g2.adain_params(emb2))
    assert (rgb - rgb2).abs().max() < 1e-3 and (mask - mask2).abs().max() < 1e-3


@pytest.mark.skipif(not (WEIGHTS / "model.json").exists(), reason="no committed weights")
def test_committed_weights_reproduce_parity_fixture():
    model = json.loads((WEIGHTS / "model.json").read_text())
    files = [p for p in WEIGHTS.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 20 * 1024 * 1024
    assert all(p.stat().st_size < 5 * 1024 * 1024 for p in files)
    fx = read_parity(WEIGHTS)
    g, e, _ = load_nets(WEIGHTS)
    t = lambda a: torch.from_numpy(np.array(a))  # writable copy
    nchw = lambda a: t(a).permute(0, 3, 1, 2)
    with torch.no_grad():
        emb = e(t(fx["ref_frames"]).permute(0, 1, 4, 2, 3), t(fx["ref_lms"]).permute(0, 1, 4, 2, 3))
        psi = g.adain_params(emb)
        rgb, mask = g(nchw(fx["lm"]), psi, nchw(fx["warp"]))
    assert np.abs(emb.numpy() - fx["embedding"]).max() < 1e-3
    assert np.abs(psi.numpy() - fx["psi"]).max() < 1e-3
    assert np.abs(rgb.permute(0, 2, 3, 1).numpy() - fx["rgb"]).max() < 1e-3
    assert np.abs(mask.permute(0, 2, 3, 1).numpy() - fx["mask"]).max() < 1e-3
    assert model["modelTopology"]["imageSize"] == fx["lm"].shape[1]
