"""The mouth refiner (neural/mouth.py): shapes, step 0 = the warp, the window, the loss, an
overfit run, the cached-patch loader, and the export (round trip + the committed fixture)."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from neural.export import read_parity
from neural.train import MODELS_DIR
from neural.mouth import (MOUTH_FORMAT, REGIONS, MouthData, MouthNet, WINDOW_EDGE, correction, detail_loss, export_mouth, flops,
                          gaussian_blur, load_exported, patch_loss, refine, window)

WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "mouth"


def _inputs(b=2, s=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 3, s, s, generator=g) * 2 - 1, (torch.rand(b, 2, s, s, generator=g) > 0.5).float()


def _trained_net(seed=0):
    torch.manual_seed(seed)
    net = MouthNet()
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return net.eval()


@pytest.mark.parametrize("size", [48, 50, 31])
def test_shapes_and_ranges(size):
    net = _trained_net()
    warp, lips = _inputs(3, size)
    delta, mask = net(warp, lips)
    assert delta.shape == (3, 3, size, size) and mask.shape == (3, 1, size, size)
    assert delta.abs().max() <= 1 and 0 <= mask.min() and mask.max() <= 1


def test_step_zero_is_the_warp():
    warp, lips = _inputs()
    out = refine(MouthNet(), warp, lips, window(48))
    assert torch.equal(out, warp.clamp(-1, 1))


def test_window_fades_to_the_border():
    w = window(48)[0, 0]
    assert w.shape == (48, 48)
    assert torch.allclose(w, w.flip(0)) and torch.allclose(w, w.t())
    inner = int(48 * WINDOW_EDGE) + 1
    assert torch.all(w[inner:-inner, inner:-inner] == 1)
    assert w[0, 24] < 0.05 and w[0, 0] < 0.005
    assert torch.all(w[1:inner, 24] > w[:inner - 1, 24])  # rises monotonically


def test_loss_zero_on_identity_and_sees_a_shift():
    a, _ = _inputs(2)
    assert patch_loss(a, a).item() == pytest.approx(0, abs=1e-6)
    shifted = torch.roll(a, 1, -1)
    brighter = (a + 0.05).clamp(-1, 1)
    assert patch_loss(shifted, a) > patch_loss(brighter, a) > 0


def test_flops_budget():
    assert 0.1e9 < flops(MouthNet(), 48) < 0.5e9


def test_overfit_a_tiny_batch():
    """warp = real with the mouth darkened: a few Adam steps learn to undo it."""
    torch.manual_seed(0)
    real, lips = _inputs(4, 48, seed=1)
    real = (torch.nn.functional.avg_pool2d(real, 9, 1, 4) * 3).clamp(-1, 1)  # smooth, image-like
    warp = real.clone()
    warp[:, :, 18:30, 12:36] -= 0.6
    net = MouthNet()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    win = window(48)
    first = None
    for _ in range(60):
        loss = patch_loss(refine(net, warp.clamp(-1, 1), lips, win), real)
        first = first if first is not None else loss.item()
        opt.zero_grad(); loss.backward(); opt.step()
    assert loss.item() < 0.7 * first


def test_mouth_data_batches(tmp_path):
    d = tmp_path / "mouth-v1-16"
    d.mkdir()
    rng = np.random.default_rng(0)
    for c, n in (("a", 3), ("b", 2)):
        for k, ch in (("real", 3), ("warp", 3), ("lips", 2)):
            np.save(d / f"{c}.{k}.npy", rng.integers(0, 256, (n, 16, 16, ch), dtype=np.uint8))
        (d / f"{c}.json").write_text(json.dumps({"frames": list(range(n)), "span": 1.6, "drop": 0.1}))
    data = MouthData(["a", "b"], 16, cache_dir=tmp_path)
    assert len(data) == 5 and data.clip_of == ["a", "a", "a", "b", "b"]
    real, warp, lips = data.batch(np.array([0, 4]))
    assert real.shape == (2, 3, 16, 16) and lips.shape == (2, 2, 16, 16)
    assert -1 <= real.min() and real.max() <= 1 and 0 <= lips.min() and lips.max() <= 1
    assert torch.allclose(real[1], torch.from_numpy(np.load(d / "b.real.npy")[1]).permute(2, 0, 1).float() / 127.5 - 1)
    # Augmentation flips warp, real and lips together and applies one colour change to both images.
    r0, w0, l0 = (t[0] for t in data.batch(np.array([0])))
    r2, w2, l2 = data.batch(np.array([0] * 64), np.random.default_rng(1))
    flipped = [i for i in range(64) if torch.equal(l2[i], l0.flip(-1))]
    assert 0 < len(flipped) < 64 and all(torch.equal(l2[i], l0) for i in range(64) if i not in flipped)
    for i in range(64):
        rr, ww = (r0.flip(-1), w0.flip(-1)) if i in flipped else (r0, w0)
        # one gain and bias per channel, shared by both images: (x+1)·g − 1 + b on unclipped pixels
        ok = (r2[i].abs() < 0.99) & (w2[i].abs() < 0.99)
        g = ((r2[i] - w2[i])[ok].abs().sum() / ((rr - ww)[ok].abs().sum() + 1e-9)).item()
        assert 0.79 < g < 1.21
    with pytest.raises(SystemExit, match="no mouth patches"):
        MouthData(["a", "missing"], 16, cache_dir=tmp_path)
    # --avatars 4 reads its own folder, and says how to make it when it is missing.
    with pytest.raises(SystemExit, match="--avatars 4"):
        MouthData(["a"], 16, cache_dir=tmp_path, avatars=4)
    d4 = tmp_path / "mouth-v1-16-a4"
    d4.mkdir()
    for k, ch in (("real", 3), ("warp", 3), ("lips", 2)):
        np.save(d4 / f"a.{k}.npy", np.full((6, 16, 16, ch), 7, dtype=np.uint8))
    (d4 / "a.json").write_text(json.dumps({"frames": [0, 1, 2] * 2, "span": 1.6, "drop": 0.1}))
    a4 = MouthData(["a"], 16, cache_dir=tmp_path, avatars=4)
    assert len(a4) == 6 and a4.warp[5, 0, 0, 0] == 7
    (d / "b.json").write_text(json.dumps({"frames": [0, 1], "span": 2.2, "drop": 0.15}))
    with pytest.raises(SystemExit, match="span 2.2"):
        MouthData(["a", "b"], 16, cache_dir=tmp_path)
    # --region eyes reads the eyes' folder and checks the eyes' window (mouth-patch.ts EYE_REGIONS).
    with pytest.raises(SystemExit, match="no eyes patches .* --region eyes"):
        MouthData(["a"], 16, cache_dir=tmp_path, region="eyes")
    de = tmp_path / "eyes-v1-16"
    de.mkdir()
    for k, ch in (("real", 3), ("warp", 3), ("lips", 2)):
        np.save(de / f"a.{k}.npy", np.full((4, 16, 16, ch), 9, dtype=np.uint8))
    (de / "a.json").write_text(json.dumps({"frames": [0, 0, 1, 1], "span": 1.6, "drop": 0.1}))
    with pytest.raises(SystemExit, match="expects 1.6, -0.12"):
        MouthData(["a"], 16, cache_dir=tmp_path, region="eyes")
    (de / "a.json").write_text(json.dumps({"frames": [0, 0, 1, 1], "span": 1.6, "drop": -0.12}))
    assert len(MouthData(["a"], 16, cache_dir=tmp_path, region="eyes")) == 4


def test_regions_match_the_client():
    """mouth.py's windows are the ones mouth-patch.ts cuts (MOUTH_PATCH_*, EYE_PATCH_*)."""
    ts = (MODELS_DIR.parent / "packages/client/src/generator/neural/mouth-patch.ts").read_text()
    const = lambda name: float(re.search(rf"export const {name} = (-?[0-9.]+);", ts).group(1))
    assert REGIONS["mouth"] == (const("MOUTH_PATCH_SPAN"), const("MOUTH_PATCH_DROP"))
    assert REGIONS["eyes"] == (const("EYE_PATCH_SPAN"), const("EYE_PATCH_DROP"))


def test_export_round_trip(tmp_path):
    net = _trained_net()
    warp, lips = _inputs()
    fx = export_mouth(net, 48, tmp_path, steps=7, inputs=(warp, lips))
    model = json.loads((tmp_path / "model.json").read_text())
    assert model["format"] == MOUTH_FORMAT and model["modelTopology"]["trainedSteps"] == 7
    assert {t["name"] for t in fx["tensors"]} == {"warp", "lips", "delta", "alpha", "patch"}
    back = load_exported(tmp_path)
    with torch.no_grad():
        d1, m1 = net(warp, lips)
        d2, m2 = back(warp, lips)
    assert (d1 - d2).abs().max() < 5e-3 and (m1 - m2).abs().max() < 5e-3  # float16 weights
    assert (d1 - d2).abs().max() > 0  # the export really went through float16


def test_gaussian_blur_keeps_constants_and_spreads_an_impulse():
    flat = torch.full((1, 3, 20, 20), 0.3)
    assert torch.allclose(gaussian_blur(flat, 2.0), flat, atol=1e-6)
    x = torch.zeros(1, 1, 31, 31)
    x[0, 0, 15, 15] = 1
    y = gaussian_blur(x, 1.5)[0, 0]
    k = torch.exp(-0.5 * (torch.arange(-5, 6, dtype=torch.float32) / 1.5) ** 2)
    k = k / k.sum()
    assert torch.allclose(y[10:21, 10:21], k[:, None] * k[None, :], atol=1e-6) and y.sum().item() == pytest.approx(1, abs=1e-5)
    # at the border: reflect padding (the edge pixel not repeated), as EXPORT.md and tf.mirrorPad('reflect')
    img = torch.rand(1, 1, 9, 12, generator=torch.Generator().manual_seed(5))
    k = torch.exp(-0.5 * (torch.arange(-3, 4, dtype=torch.float32) / 1.0) ** 2).numpy()
    k = k / k.sum()
    ref = np.pad(img[0, 0].numpy(), 3, mode="reflect")
    ref = np.stack([np.convolve(r, k, mode="valid") for r in ref])
    ref = np.stack([np.convolve(c, k, mode="valid") for c in ref.T]).T
    assert np.abs(gaussian_blur(img, 1.0)[0, 0].numpy() - ref).max() < 1e-5


def test_low_passed_correction_cannot_remove_detail():
    """With --lowpass the correction is blur(mask·Δ) at the window's weight, and however the network is
    trained its output keeps the warp's fine detail: a pixel-scale checkerboard survives refining."""
    net = _trained_net(seed=3)
    net.lowpass = 2.0
    warp, lips = _inputs(2, 48)
    win = window(48)
    delta, alpha = correction(net, warp, lips, win)
    with torch.no_grad():
        d, m = net(warp, lips)
        assert torch.allclose(delta, gaussian_blur(m * d, 2.0)) and torch.equal(alpha, win.expand(2, 1, 48, 48))
        checker = ((torch.arange(48)[:, None] + torch.arange(48)[None, :]) % 2).float() * 0.4 - 0.2
        flat = torch.zeros(2, 3, 48, 48) + checker
        out = refine(net, flat, lips, win)
        hf = lambda t: (t[..., 8:40, 9:41] - t[..., 8:40, 8:40]).abs().mean()  # neighbour differences inside the window
        assert hf(out) > 0.95 * hf(flat)
        assert (out - flat).abs().max() > 1e-3  # it does correct something


def test_export_round_trip_keeps_the_low_pass(tmp_path):
    net = _trained_net(seed=4)
    net.lowpass = 1.5
    warp, lips = _inputs()
    export_mouth(net, 48, tmp_path, steps=3, inputs=(warp, lips))
    assert json.loads((tmp_path / "model.json").read_text())["modelTopology"]["lowpass"] == 1.5
    back = load_exported(tmp_path)
    fx = read_parity(tmp_path)
    with torch.no_grad():
        delta, alpha = correction(back, warp, lips, window(48))
    assert back.lowpass == 1.5
    assert np.abs(delta.permute(0, 2, 3, 1).numpy() - fx["delta"]).max() < 1e-5
    assert np.abs(alpha.permute(0, 2, 3, 1).numpy() - fx["alpha"]).max() < 1e-6


@pytest.mark.parametrize("region", ["mouth", "eyes"])
def test_committed_weights_reproduce_their_fixture(region):
    d = WEIGHTS.parent / region
    net = load_exported(d)
    fx = read_parity(d)
    topo = json.loads((d / "model.json").read_text())["modelTopology"]
    assert (topo["span"], topo["drop"]) == REGIONS[region]
    warp = torch.from_numpy(fx["warp"].copy()).permute(0, 3, 1, 2)
    lips = torch.from_numpy(fx["lips"].copy()).permute(0, 3, 1, 2)
    with torch.no_grad():
        delta, alpha = correction(net, warp, lips, window(warp.shape[-1]))
    assert np.abs(delta.permute(0, 2, 3, 1).numpy() - fx["delta"]).max() < 1e-4
    assert np.abs(alpha.permute(0, 2, 3, 1).numpy() - fx["alpha"]).max() < 1e-4


def test_discriminator_scores_patches_for_their_lips():
    from neural.mouth import MouthD
    torch.manual_seed(0)
    d = MouthD()
    warp, lips = _inputs(3, 48)
    score = d(warp, lips)
    assert score.shape == (3, 1, 6, 6)
    # One hinge step on real vs shifted patches moves D towards telling them apart.
    opt = torch.optim.Adam(d.parameters(), 1e-3)
    real = (torch.nn.functional.avg_pool2d(warp, 5, 1, 2) * 3).clamp(-1, 1)
    fake = torch.roll(real, 7, -1)
    gap0 = (d(real, lips).mean() - d(fake, lips).mean()).item()
    for _ in range(20):
        loss = torch.relu(1 - d(real, lips)).mean() + torch.relu(1 + d(fake, lips)).mean()
        opt.zero_grad(); loss.backward(); opt.step()
    assert (d(real, lips).mean() - d(fake, lips).mean()).item() > gap0 + 0.1


def test_detail_loss_asks_for_detail_not_for_its_exact_place():
    """Zero for the real patch itself; a blurred patch loses more on it than a patch whose detail sits
    one pixel off, while plain L1 prefers the blur — the reason the term exists."""
    g = torch.Generator().manual_seed(3)
    real = (torch.rand(4, 3, 48, 48, generator=g) * 2 - 1)
    real = torch.nn.functional.avg_pool2d(real, 3, 1, 1)  # some structure, still detailed
    blurred = torch.nn.functional.avg_pool2d(real, 5, 1, 2)
    shifted = torch.roll(real, 1, dims=-1)
    assert detail_loss(real, real).item() == 0.0
    assert detail_loss(shifted, real).item() < 0.5 * detail_loss(blurred, real).item()
    assert (blurred - real).abs().mean() < (shifted - real).abs().mean()


def test_reference_refiner_starts_as_the_warp_and_reads_the_reference():
    """mouth_ref.py's RefNet (session 13 experiment): 10 input channels, step 0 is the warp, and once
    trained its output depends on the reference (the extra channels are wired in, not ignored)."""
    from neural.mouth_ref import RefNet
    warp, lips = _inputs(2, 48, seed=1)
    ref, rlips = _inputs(2, 48, seed=2)
    win = window(48)
    net = RefNet(5).eval()
    assert net.enc0[0].in_channels == 10
    assert torch.equal(net.refine(warp, lips, ref, rlips, win), warp.clamp(-1, 1))
    torch.manual_seed(0)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    a = net.refine(warp, lips, ref, rlips, win)
    b = net.refine(warp, lips, -ref, rlips, win)
    assert (a - b).abs().max() > 1e-4
    assert RefNet(0).enc0[0].in_channels == 5


def test_displacement_refiner_starts_as_the_warp_and_moves_pixels():
    """mouth_flow.py's FlowNet (session 13 experiment): step 0 is the warp; a displacement moves the
    patch's content (a bright column shifts sideways) and is faded to nothing at the border."""
    from neural.mouth_flow import FlowNet
    warp, lips = _inputs(1, 48, seed=3)
    win = window(48)
    net = FlowNet(colour=False).eval()
    assert (net.refine(warp, lips, win) - warp).abs().max() < 1e-4
    with torch.no_grad():
        net.out.bias[0] = 1.0  # x displacement everywhere, before the window
    column = -torch.ones(1, 3, 48, 48)
    column[..., 20] = 1
    moved = net.refine(column, lips, win)
    centre = moved[0, 0, 24]  # a positive x displacement samples to the right: the column shows ~3.6 px to the left
    assert centre[20] < -0.5 and 15 <= int(centre.argmax()) <= 17 and centre.max() > 0.2
    edge = moved[0, 0, 0]  # the window is ~0.02 on the border row: the column stays where it was
    assert int(edge.argmax()) == 20 and edge[20] > 0.8


def test_tolerant_loss_asks_for_the_real_detail_up_to_a_small_shift():
    """mouth_sharp.py's loss (session 14 experiment): zero for the real patch; detail one or two pixels
    off costs far less than no detail (a blur) or detail of the wrong pattern, while plain L1 prefers the blur."""
    from neural.mouth_sharp import tolerant_loss
    g = torch.Generator().manual_seed(4)
    real = torch.nn.functional.avg_pool2d(torch.rand(4, 3, 48, 48, generator=g) * 2 - 1, 3, 1, 1)
    other = torch.nn.functional.avg_pool2d(torch.rand(4, 3, 48, 48, generator=g) * 2 - 1, 3, 1, 1)
    blurred = torch.nn.functional.avg_pool2d(real, 5, 1, 2)
    shifted = torch.roll(real, 1, dims=-1)
    wrong = blurred + (other - torch.nn.functional.avg_pool2d(other, 5, 1, 2))  # real shading, another patch's detail
    assert tolerant_loss(real, real).item() == 0.0
    assert tolerant_loss(shifted, real).item() < 0.5 * tolerant_loss(blurred, real).item()
    assert tolerant_loss(shifted, real).item() < 0.5 * tolerant_loss(wrong, real).item()
    assert tolerant_loss(blurred, real).item() < tolerant_loss(wrong, real).item()
    assert (blurred - real).abs().mean() < (shifted - real).abs().mean()


def _face_cache(tmp_path, n=4, size=40, face=112):
    """A cache of one clip with face crops: the patch is a turned window of the face crop, right of
    its centre, sampled from it, so pasting a patch back must give the crop there (and a flip must
    mirror the map). The warp's face is the real one 4 px lower and darker."""
    from neural.landmarks68 import WEIGHTS_DIR
    d = tmp_path / f"mouth-v1-{size}"
    d.mkdir(parents=True)
    base = np.frombuffer((WEIGHTS_DIR / "fixture.bin").read_bytes(), np.uint8).reshape(face, face, 3)
    faces = np.stack([np.roll(base, k, axis=1) for k in range(n)])
    warps = (np.roll(faces, 4, axis=1) * 0.8).astype(np.uint8)
    # patch (u, v) ∈ [−1, 1]² → face coordinates; its inverse is the paste map face → patch.
    fwd = torch.tensor([[0.4, 0.06, 0.1], [-0.05, 0.3, 0.4]]).expand(n, 2, 3)
    inv = torch.linalg.inv(torch.cat([fwd[0], torch.tensor([[0.0, 0.0, 1.0]])]))[:2]
    grid = torch.nn.functional.affine_grid(fwd, [n, 3, size, size], align_corners=False)
    cut = lambda f: torch.nn.functional.grid_sample(torch.from_numpy(f).permute(0, 3, 1, 2).float(), grid, align_corners=False)
    paste = [inv.flatten().tolist()] * n
    to8 = lambda t: t.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
    for k, arr in (("real", to8(cut(faces))), ("warp", to8(cut(warps))), ("lips", np.zeros((n, size, size, 2), np.uint8)),
                   ("face_real", faces), ("face_warp", warps)):
        np.save(d / f"a.{k}.npy", arr)
    (d / "a.json").write_text(json.dumps({"frames": list(range(n)), "span": 1.6, "drop": 0.1, "face": {"size": face}, "paste": paste}))
    return d


def test_face_crops_and_the_paste_map_survive_the_flip(tmp_path):
    from neural.mouth import paste_face
    _face_cache(tmp_path)
    with pytest.raises(SystemExit, match="no 112-px face crops"):
        (tmp_path / "mouth-v1-40" / "a.json").write_text(json.dumps({"frames": [0, 1, 2, 3], "span": 1.6, "drop": 0.1}))
        MouthData(["a"], 40, cache_dir=tmp_path, face=True)
    _face_cache(tmp_path / "x")
    data = MouthData(["a"], 40, cache_dir=tmp_path / "x", face=True)
    with pytest.raises(ValueError, match="without face crops"):
        MouthData(["a"], 40, cache_dir=tmp_path / "x").batch_face(np.array([0]))
    plain = data.batch_face(np.arange(4).repeat(8))[3]
    for augment in (None, np.random.default_rng(3)):
        real, warp, lips, freal, fwarp, theta = data.batch_face(np.arange(4).repeat(8), augment)
        # Pasting the change warp → real into the warp's face gives the real face inside the patch's window.
        out = paste_face(real, warp, fwarp, theta)
        grid = torch.nn.functional.affine_grid(theta, list(freal.shape), align_corners=False)
        inside = (grid.abs().amax(-1) < 0.85)[:, None].expand_as(out)
        err = (out - freal).abs()
        assert err[inside].mean() < 0.03, err[inside].mean()
        assert err[~inside].mean() > 0.1  # outside the patch the warp's face stays
        if augment is not None:  # some samples flipped (closer to the mirrored crop than to the crop itself)
            mirrored = [((freal[i] - plain[i].flip(-1)).abs().mean() < (freal[i] - plain[i]).abs().mean()).item() for i in range(32)]
            assert 0 < sum(mirrored) < 32


def test_landmark_term_moves_the_lips(tmp_path):
    from neural.landmarks68 import Landmarks68
    from neural.mouth import landmark_loss, landmark_scores, lip_targets, paste_face
    _face_cache(tmp_path)
    data = MouthData(["a"], 40, cache_dir=tmp_path, face=True)
    lm = Landmarks68.load()
    real, warp, lips, freal, fwarp, theta = data.batch_face(np.arange(4))
    target = lip_targets(lm, freal)
    # The term's gradient reaches the patch through the paste: a free correction of the patch,
    # trained on the term alone, pulls the warp's lips (~4 px off) most of the way to the real ones.
    corr = torch.zeros_like(warp, requires_grad=True)
    opt = torch.optim.Adam([corr], lr=0.02)
    losses = []
    for _ in range(30):
        loss = landmark_loss(lm, paste_face((warp + corr).clamp(-1, 1), warp, fwarp, theta), target)
        opt.zero_grad(); loss.backward(); opt.step()
        losses.append(loss.item())
    assert losses[0] > 3 and min(losses[-5:]) < 0.6 * losses[0], losses
    # The oracle diagnostic does the same under the refiner's window, also low-passed, and reports it.
    from neural.mouth import lip_oracle
    for sigma in (0.0, 2.0):
        o = lip_oracle(data, lm, 40, samples=4, steps=30, lr=0.02, lowpass=sigma)
        assert o["samples"] == 4 and o["lm_warp"] == pytest.approx(losses[0], rel=1e-3), o
        assert o["lm_oracle"] < 0.7 * o["lm_warp"] and o["mean_abs_delta"] > 0 and o["patch_warp"] > 0, o
    # Scores: an untrained refiner is the warp (the same lip distance); the patch loss is reported.
    s = landmark_scores(MouthNet(), lm, data, 40)
    assert s["lm_net"] == pytest.approx(s["lm_warp"], abs=1e-4) and s["lm_warp"] == pytest.approx(losses[0], rel=1e-3) and s["patch"] > 0
