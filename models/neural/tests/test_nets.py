import torch

from neural.flops import generator_flops
from neural.nets import Discriminator, Embedder, Generator, NetConfig, composite

CFG = NetConfig()


def test_generator_shapes_and_ranges():
    g = Generator(CFG)
    lm = torch.randn(2, 3, 64, 64)
    psi = torch.randn(2, g.psi_dim) * 0.1
    rgb, mask = g(lm, psi)
    assert rgb.shape == (2, 3, 64, 64) and mask.shape == (2, 1, 64, 64)
    assert rgb.abs().max() <= 1 and 0 <= mask.min() and mask.max() <= 1
    warp = torch.randn(2, 4, 64, 64)
    rgb2, _ = g(lm, psi, warp)
    assert rgb2.shape == rgb.shape and not torch.allclose(rgb, rgb2)  # the warp channels are used
    out = composite(rgb, mask, warp[:, :3])
    assert out.shape == rgb.shape


def test_generator_is_fully_convolutional():
    g = Generator(CFG)
    rgb, mask = g(torch.randn(1, 3, 128, 128), torch.zeros(1, g.psi_dim))
    assert rgb.shape == (1, 3, 128, 128) and mask.shape == (1, 1, 128, 128)


def test_adain_params_size():
    g = Generator(CFG)
    assert g.psi_dim == sum(2 * s.ch for s in g.slots) == 1728
    assert g.adain_params(torch.randn(3, CFG.emb_dim)).shape == (3, 1728)


def test_embedder_shape_and_averaging():
    e = Embedder(CFG).eval()
    f, l = torch.randn(2, 1, 3, 64, 64), torch.randn(2, 1, 3, 64, 64)
    emb1 = e(f, l)
    assert emb1.shape == (2, CFG.emb_dim)
    emb4 = e(f.expand(-1, 4, -1, -1, -1), l.expand(-1, 4, -1, -1, -1))  # K copies -> same mean
    assert torch.allclose(emb1, emb4, atol=1e-5)
    emb_k = e(torch.randn(2, 5, 3, 64, 64), torch.randn(2, 5, 3, 64, 64))
    assert emb_k.shape == (2, CFG.emb_dim)


def test_discriminator_projection():
    d = Discriminator(CFG, num_videos=7).eval()  # eval: no spectral-norm power iteration
    x, lm = torch.randn(3, 3, 64, 64), torch.randn(3, 3, 64, 64)
    score, feats = d(x, lm, torch.tensor([0, 3, 6]))
    assert score.shape == (3,)
    assert len(feats) == len(CFG.e_ch) and feats[-1].shape == (3, CFG.emb_dim, 2, 2)
    # projection term: changing the video row changes the score
    score2, _ = d(x, lm, torch.tensor([1, 3, 6]))
    assert score2[0] != score[0] and torch.allclose(score2[1:], score[1:])


def test_generator_flop_budget():
    f = generator_flops(CFG, 256)
    assert f["total"] <= 1.5e9, f
    assert f["total"] > 1.0e9  # sanity: the counter sees the convs


def test_refiner_is_the_warp_at_initialisation():
    """Bi-layer refiner: the mask head starts shut, so the composite equals the warp input."""
    from neural.nets import upsample_composite
    torch.manual_seed(0)
    cfg = NetConfig(refine=True)
    g = Generator(cfg)
    lm = torch.rand(2, 3, 64, 64) * 2 - 1
    warp = torch.cat([torch.rand(2, 3, 64, 64) * 2 - 1, torch.rand(2, 1, 64, 64)], 1)
    psi = torch.randn(2, g.psi_dim) * 0.1
    rgb, mask = g(lm, psi, warp)
    out = composite(rgb, mask, warp[:, :3])
    assert mask.max() < 0.01  # sigmoid(-5) = 0.0067 everywhere
    assert (out - warp[:, :3]).abs().max() < 0.014, (out - warp[:, :3]).abs().max()
    # upsampled onto a full-resolution warp render: still the render
    full = torch.rand(2, 3, 256, 256) * 2 - 1
    up = upsample_composite(rgb, mask, full)
    assert up.shape == full.shape and (up - full).abs().max() < 0.014
    # the mask head still learns: its weights get a gradient
    l = (out - torch.zeros_like(out)).abs().mean()
    l.backward()
    assert g.out.weight.grad[3].abs().sum() > 0 and g.out.bias.grad[3].abs() > 0


def test_refiner_keeps_the_flop_budget():
    f = generator_flops(NetConfig(refine=True), 256)
    assert f["total"] <= 1.5e9


def test_residual_refiner_is_exactly_the_warp_at_initialisation():
    from neural.nets import upsample_composite
    torch.manual_seed(0)
    g = Generator(NetConfig(refine=True, residual=True, mask_bias=-2.0))
    warp = torch.cat([torch.rand(2, 3, 64, 64) * 2 - 1, torch.rand(2, 1, 64, 64)], 1)
    rgb, mask = g(torch.rand(2, 3, 64, 64) * 2 - 1, torch.randn(2, g.psi_dim) * 0.1, warp)
    out = composite(rgb, mask, warp[:, :3], residual=True)
    assert torch.equal(out, warp[:, :3].clamp(-1, 1))
    full = torch.rand(2, 3, 256, 256) * 2 - 1
    assert torch.equal(upsample_composite(rgb, mask, full, residual=True), full)
    # both heads learn from the first step (Δ directly; the mask once Δ ≠ 0)
    (out - torch.zeros_like(out)).abs().mean().backward()
    assert g.out.weight.grad[:3].abs().sum() > 0


def test_face_masked_refiner_corrects_only_inside_the_warp_face():
    torch.manual_seed(0)
    g = Generator(NetConfig(refine=True, residual=True, mask_face=True, mask_bias=-2.0))
    with torch.no_grad():
        g.out.weight.normal_(0, 0.1)  # a "trained" head
    warp = torch.cat([torch.rand(1, 3, 64, 64) * 2 - 1, torch.zeros(1, 1, 64, 64)], 1)
    warp[:, 3, 16:48, 16:48] = 1
    rgb, mask = g(torch.rand(1, 3, 64, 64) * 2 - 1, torch.randn(1, g.psi_dim) * 0.1, warp)
    assert mask[:, :, :16].abs().max() == 0 and mask[:, :, 16:48, 16:48].min() > 0
    out = composite(rgb, mask, warp[:, :3], residual=True)
    assert torch.equal(out[:, :, :16], warp[:, :3, :16])


def test_low_passed_correction_keeps_the_warp_detail():
    """lowpass σ: frame = warp + G_σ ∗ (mask·Δ), at S and, upsampled, at full resolution; a
    pixel-scale checkerboard correction is all but removed, a smooth one passes."""
    from neural.nets import gaussian_blur, upsample_composite
    torch.manual_seed(0)
    warp = torch.rand(1, 3, 32, 32) * 1.6 - 0.8
    mask = torch.ones(1, 1, 32, 32)
    yy, xx = torch.meshgrid(torch.arange(32), torch.arange(32), indexing="ij")
    checker = (((yy + xx) % 2) * 2 - 1).float().expand(1, 3, 32, 32) * 0.1
    smooth = (xx / 31.0 * 0.1).float().expand(1, 3, 32, 32)
    assert (composite(checker, mask, warp, True, lowpass=2.0) - warp).abs().max() < 0.001
    assert torch.equal(composite(checker, mask, warp, True), (warp + checker).clamp(-1, 1))
    low = composite(smooth, mask, warp, True, lowpass=2.0) - warp
    assert (low[..., 8:24, 8:24] - smooth[..., 8:24, 8:24]).abs().max() < 1e-5  # linear ramps pass a symmetric kernel
    full = torch.rand(1, 3, 96, 96) * 2 - 1
    up = upsample_composite(smooth, mask * 0.5, full, True, lowpass=2.0)
    ref = (full + torch.nn.functional.interpolate(gaussian_blur(smooth * 0.5, 2.0), size=(96, 96), mode="bilinear", align_corners=False)).clamp(-1, 1)
    assert torch.allclose(up, ref)


def test_train_config_refuses_a_bad_lowpass(tmp_path):
    import json
    import pytest
    from neural.train import TrainConfig
    for net in ({"refine": True, "residual": False, "lowpass": 2.0}, {"refine": True, "residual": True, "lowpass": 5.0}):
        p = tmp_path / "c.json"
        p.write_text(json.dumps({"name": "x", "net": net}))
        with pytest.raises(ValueError, match="lowpass"):
            TrainConfig.load(str(p))
    p.write_text(json.dumps({"name": "x", "net": {"refine": True, "residual": True, "lowpass": 2.0}}))
    assert TrainConfig.load(str(p)).net.lowpass == 2.0
