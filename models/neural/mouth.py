"""The mouth refiner: a small person-agnostic network that corrects the v1 warp render inside a
rotation-normalised window around the lips (packages/client/src/generator/neural/mouth-patch.ts).

The warp cannot open or close a mouth it was not shown: it stretches one photo's mouth interior
into the target's inner-lip contour (a dark slit on closed lips, no teeth when the photo had none).
What is wrong there is the same for everyone — teeth, a dark interior, lips meeting — so one network
learns it from all training clips, driven by the lip contours (filled inner and outer lip, the
`lips` image) and the warp's own patch (the person's colours):

    patch = clamp(warp + window · mask · Δ),   Δ = tanh(·), mask = sigmoid(·)

with `window` a fixed raised-cosine fade over the outer WINDOW_EDGE of the patch, so the correction
meets the warp seamlessly when it is pasted back. Δ starts at zero: step 0 is the warp. With
`--lowpass σ` (as the bi-layer model splits its output: the network's low frequencies over the
texture's detail) the correction mask · Δ is low-passed by a Gaussian of σ patch pixels before it
is added, so it can recolour and reshade the warp's mouth but cannot blur away its teeth.

    python -m neural.mouth train [--minutes 40] [--run runs/mouth] [--resume] [--no-export]
    (or: npm run train -- --config mouth [--resume] [--max-minutes M])
    python -m neural.mouth eval --ckpt runs/mouth/ckpt.pt [--grid out.png] [--json out.json]
    python -m neural.mouth export --ckpt runs/mouth/ckpt.pt [--out weights/mouth]
    python -m neural.mouth oracle [--clips dev|val] [--lowpass σ]   # the --landmark term's ceiling (diagnostic)

Data: `npx tsx packages/client/scripts/neural-mouth-cache.ts --size 48 [--avatars 4]` → models/.cache/neural/mouth-v1-48[-a4]/
(`--avatars 4`: every frame twice, by four warp avatars per clip instead of two; `train|eval --avatars 4` read it).
Split: split.json (training clips / held-out persons), as the face refiner's.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .episodes import load_split
from .landmarks68 import INPUT_SIZE as LANDMARK_INPUT, LIPS, Landmarks68
from .losses import ssim
from .nets import MAX_LOWPASS_SIGMA, gaussian_blur
from .train import MODELS_DIR, _fmt, plot_losses

CACHE_DIR = Path(os.environ.get("VISAGE_CACHE", MODELS_DIR / ".cache" / "neural"))
WINDOW_EDGE = 0.125
# The patch geometry the cache script cuts with (mouth-patch.ts: MOUTH_PATCH_SPAN, MOUTH_PATCH_DROP),
# recorded in the exported weights so the client can refuse weights trained on another crop.
PATCH_SPAN = 1.6
PATCH_DROP = 0.1
# The regions the cache script cuts (`--region`): (span, drop); the eyes' windows are mouth-patch.ts's EYE_REGIONS.
REGIONS = {"mouth": (PATCH_SPAN, PATCH_DROP), "eyes": (1.6, -0.12)}
CHANNELS = (24, 48, 72, 96)
# Four training persons (one clip each, four sources) not trained on: their patches choose the step
# to ship (the moving average starts to fit the training persons after ~1 500 steps), so the
# held-out persons of split.json are only reported, never used for a choice.
DEV_CLIPS = "edtalk-mouth_source,liveportrait-d20,pcavs-00098,retalking-2"


def window(size: int) -> torch.Tensor:
    """(1, 1, S, S) raised-cosine fade from 0 at the patch border to 1 at WINDOW_EDGE inside it."""
    c = (torch.arange(size, dtype=torch.float32) + 0.5) / size
    d = torch.minimum(c, 1 - c) / WINDOW_EDGE
    w = torch.where(d >= 1, torch.ones_like(d), 0.5 - 0.5 * torch.cos(math.pi * d.clamp(0, 1)))
    return (w[:, None] * w[None, :])[None, None]


class MouthNet(nn.Module):
    """U-Net: 5 channels (warp RGB in [-1, 1], lips in [0, 1]) → Δ (3) and mask (1), same size."""

    def __init__(self, chs=CHANNELS, lowpass: float = 0.0):
        super().__init__()
        self.chs = tuple(chs)
        # > 0: the correction is low-passed (Gaussian, this σ in patch pixels) before it is added, so
        # it can change the warp's colours and shading but not take its detail away (the bi-layer split).
        self.lowpass = float(lowpass)
        c0, c1, c2, c3 = chs
        conv = lambda i, o, s=1: nn.Conv2d(i, o, 3, s, 1)
        self.enc0 = nn.ModuleList([conv(5, c0), conv(c0, c0)])
        self.enc1 = nn.ModuleList([conv(c0, c1, 2), conv(c1, c1)])
        self.enc2 = nn.ModuleList([conv(c1, c2, 2), conv(c2, c2)])
        self.enc3 = nn.ModuleList([conv(c2, c3, 2), conv(c3, c3)])
        self.dec2 = nn.ModuleList([conv(c3 + c2, c2), conv(c2, c2)])
        self.dec1 = nn.ModuleList([conv(c2 + c1, c1), conv(c1, c1)])
        self.dec0 = nn.ModuleList([conv(c1 + c0, c0), conv(c0, c0)])
        self.out = conv(c0, 4)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        with torch.no_grad():
            self.out.bias[3] = -2.0

    @staticmethod
    def _block(layers, x):
        for layer in layers:
            x = F.leaky_relu(layer(x), 0.2)
        return x

    def trunk(self, x: torch.Tensor) -> torch.Tensor:
        """The U-Net on its input channels (B,C,S,S) → the last layer's raw output (B,out,S,S)."""
        x0 = self._block(self.enc0, x)
        x1 = self._block(self.enc1, x0)
        x2 = self._block(self.enc2, x1)
        x3 = self._block(self.enc3, x2)
        up = lambda t, ref: F.interpolate(t, size=ref.shape[-2:], mode="nearest")
        y = self._block(self.dec2, torch.cat([up(x3, x2), x2], 1))
        y = self._block(self.dec1, torch.cat([up(y, x1), x1], 1))
        y = self._block(self.dec0, torch.cat([up(y, x0), x0], 1))
        return self.out(y)

    def forward(self, warp: torch.Tensor, lips: torch.Tensor):
        """warp (B,3,S,S) in [-1,1], lips (B,2,S,S) in [0,1] → Δ (B,3,S,S) in [-1,1], mask (B,1,S,S) in [0,1]."""
        y = self.trunk(torch.cat([warp, lips], 1))
        return torch.tanh(y[:, :3]), torch.sigmoid(y[:, 3:])


class MouthD(nn.Module):
    """Patch discriminator for the adversarial option: (patch RGB, lips) → a 6×6 map of scores
    (spectral norm, hinge loss), so a mouth is judged real or not for its lip contours."""

    def __init__(self, ch=32):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm
        self.layers = nn.ModuleList([sn(nn.Conv2d(5, ch, 4, 2, 1)), sn(nn.Conv2d(ch, 2 * ch, 4, 2, 1)),
                                     sn(nn.Conv2d(2 * ch, 4 * ch, 4, 2, 1)), sn(nn.Conv2d(4 * ch, 1, 3, 1, 1))])

    def forward(self, patch, lips):
        x = torch.cat([patch, lips], 1)
        for layer in self.layers[:-1]:
            x = F.leaky_relu(layer(x), 0.2)
        return self.layers[-1](x)


def correction(net: MouthNet, warp: torch.Tensor, lips: torch.Tensor, win: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The correction Δ (B,3,S,S) and its weight alpha (B,1,S,S), as the client composites them:
    Δ = tanh, alpha = window · mask; with a low-pass, Δ = blur(mask · tanh) and alpha = window."""
    delta, mask = net(warp, lips)
    if net.lowpass > 0:
        return gaussian_blur(mask * delta, net.lowpass), win.expand(warp.shape[0], 1, -1, -1)
    return delta, win * mask


def refine(net: MouthNet, warp: torch.Tensor, lips: torch.Tensor, win: torch.Tensor) -> torch.Tensor:
    delta, alpha = correction(net, warp, lips, win)
    return (warp + alpha * delta).clamp(-1, 1)


def flops(net: MouthNet, size: int) -> int:
    """Multiply-adds ×2 of one S×S patch (convolutions only)."""
    total, s = 0, size
    sizes = {"enc0": s, "enc1": (s + 1) // 2}
    sizes["enc2"] = (sizes["enc1"] + 1) // 2
    sizes["enc3"] = (sizes["enc2"] + 1) // 2
    sizes.update(dec2=sizes["enc2"], dec1=sizes["enc1"], dec0=s, out=s)
    for name, mod in net.named_modules():
        if isinstance(mod, nn.Conv2d):
            hw = sizes[name.split(".")[0]] ** 2
            total += 2 * hw * mod.in_channels * mod.out_channels * 9
    return total


class MouthData:
    """All cached patches of some clips in memory: real, warp (uint8 N,S,S,3), lips (uint8 N,S,S,2)."""

    def __init__(self, clips: list[str], size: int, cache_dir: Path = CACHE_DIR, avatars: int = 2, region: str = "mouth", face: bool = False):
        d = cache_dir / (f"{region}-v1-{size}" + ("-a4" if avatars == 4 else ""))
        span, drop = REGIONS[region]
        missing = [c for c in clips if not (d / f"{c}.json").exists()]
        if missing:
            raise SystemExit(f"no {region} patches for {len(missing)} clips in {d} (first: {missing[0]}); run "
                             f"npx tsx packages/client/scripts/neural-mouth-cache.ts --size {size} --avatars {avatars} --region {region}")
        keys = ("real", "warp", "lips") + (("face_real", "face_warp") if face else ())
        parts = {k: [] for k in keys}
        paste = []
        self.clip_of: list[str] = []
        for c in clips:
            meta = json.loads((d / f"{c}.json").read_text())
            if "span" in meta and (abs(meta["span"] - span) > 1e-6 or abs(meta["drop"] - drop) > 1e-6):
                raise SystemExit(f"{d / c}: patches cut with span {meta['span']}, drop {meta['drop']}; mouth.py expects "
                                 f"{span}, {drop} (re-run the cache script with --force)")
            if face:
                if meta.get("face", {}).get("size") != LANDMARK_INPUT:
                    raise SystemExit(f"{d / c}: no {LANDMARK_INPUT}-px face crops (the landmark term needs them); run "
                                     f"npx tsx packages/client/scripts/neural-mouth-cache.ts --size {size} --face {LANDMARK_INPUT}")
                paste.append(np.asarray(meta["paste"], np.float32).reshape(-1, 2, 3))
            for k in parts:
                parts[k].append(np.load(d / f"{c}.{k}.npy"))
            n = len(parts["real"][-1])
            if any(len(parts[k][-1]) != n for k in keys) or (face and len(paste[-1]) != n):
                raise SystemExit(f"{d / c}: the cached arrays have different row counts (re-run the cache script with --force)")
            self.clip_of += [c] * n
        self.real, self.warp, self.lips = (np.concatenate(parts[k]) for k in ("real", "warp", "lips"))
        self.face_real = np.concatenate(parts["face_real"]) if face else None
        self.face_warp = np.concatenate(parts["face_warp"]) if face else None
        self.paste = np.concatenate(paste) if face else None
        self.clips = clips

    def __len__(self):
        return len(self.real)

    def batch(self, idx, augment: np.random.Generator | None = None):
        """Tensors (B,C,S,S): real and warp in [-1, 1], lips in [0, 1]; optional flip and colour jitter."""
        real = torch.from_numpy(self.real[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1
        warp = torch.from_numpy(self.warp[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1
        lips = torch.from_numpy(self.lips[idx]).permute(0, 3, 1, 2).float() / 255
        if augment is not None:
            (real, warp), (lips,) = jitter(augment, [real, warp], [lips])
        return real, warp, lips

    def batch_face(self, idx, augment: np.random.Generator | None = None):
        """As batch, plus the face crops (B,3,F,F) of the real frame and the warp render in [-1, 1] and
        the paste maps (B,2,3): face-crop → patch normalised coordinates; a flip flips all of them."""
        if self.face_real is None:
            raise ValueError("MouthData was loaded without face crops (face=True)")
        to = lambda a: torch.from_numpy(a[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1
        real, warp, freal, fwarp = to(self.real), to(self.warp), to(self.face_real), to(self.face_warp)
        lips = torch.from_numpy(self.lips[idx]).permute(0, 3, 1, 2).float() / 255
        theta = torch.from_numpy(self.paste[idx]).clone()
        if augment is not None:
            flip, (real, warp, freal, fwarp), (lips,) = _jitter(augment, [real, warp, freal, fwarp], [lips])
            # x → −x in both crops: u_patch = a·x + b·y + c becomes a·x − b·y − c, v_patch's x term changes sign.
            theta[flip] = theta[flip] * torch.tensor([[1.0, -1.0, -1.0], [-1.0, 1.0, 1.0]])
        return real, warp, lips, freal, fwarp, theta


def jitter(rng: np.random.Generator, images: list[torch.Tensor], shapes: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Training augmentation of a batch: the same random horizontal flip per sample for all tensors,
    and the same colour gain (0.8–1.2) and bias (±0.1) per sample and channel on the [-1, 1] images."""
    _, images, shapes = _jitter(rng, images, shapes)
    return images, shapes


def _jitter(rng, images, shapes):
    """jitter, also returning the flipped samples' mask (B,)."""
    b = len(images[0])
    flip = torch.from_numpy(rng.random(b) < 0.5)
    for t in images + shapes:
        t[flip] = t[flip].flip(-1)
    gain = torch.from_numpy(rng.uniform(0.8, 1.2, (b, 3, 1, 1))).float()
    bias = torch.from_numpy(rng.uniform(-0.1, 0.1, (b, 3, 1, 1))).float()
    return flip, [((t + 1) * gain - 1 + bias).clamp(-1, 1) for t in images], shapes


def paste_face(out: torch.Tensor, warp: torch.Tensor, face_warp: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """The refined patch's change (out − warp), resampled into the face crop and added to the warp's
    face, as the client composites the correction into the frame (bilinear, nothing outside the patch)."""
    grid = F.affine_grid(theta, list(face_warp.shape), align_corners=False)
    return (face_warp + F.grid_sample(out - warp, grid, align_corners=False, padding_mode="zeros")).clamp(-1, 1)


def _lip_points(lm_net, face: torch.Tensor) -> torch.Tensor:
    """The 20 lip landmarks (B,20,2, face-crop pixels) lm_net finds on `face` ([-1, 1])."""
    return lm_net((face + 1) * 127.5)[:, list(LIPS)]


def landmark_loss(lm_net, face: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean distance (face-crop pixels) between the lip landmarks lm_net finds on `face` ([-1, 1]) and `target` (B,20,2)."""
    return (_lip_points(lm_net, face) - target).square().sum(-1).add(1e-4).sqrt().mean()


@torch.no_grad()
def lip_targets(lm_net, face_real: torch.Tensor) -> torch.Tensor:
    return _lip_points(lm_net, face_real)


@torch.no_grad()
def landmark_scores(net: MouthNet, lm_net, data: MouthData, size: int, batch: int = 128) -> dict:
    """Mean face-api lip-landmark distance to the real frame's (face-crop pixels), of the warp's face and of the refined one, and the patch loss."""
    net.eval()
    win = window(size)
    tot = {"lm_warp": 0.0, "lm_net": 0.0, "patch": 0.0}
    for s in range(0, len(data), batch):
        idx = np.arange(s, min(s + batch, len(data)))
        real, warp, lips, freal, fwarp, theta = data.batch_face(idx)
        out = refine(net, warp, lips, win)
        target = lip_targets(lm_net, freal)
        n = len(idx)
        tot["lm_warp"] += n * landmark_loss(lm_net, fwarp, target).item()
        tot["lm_net"] += n * landmark_loss(lm_net, paste_face(out, warp, fwarp, theta), target).item()
        tot["patch"] += n * patch_loss(out, real).item()
    net.train()
    return {k: v / len(data) for k, v in tot.items()}


_LAPLACE = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])[None, None].repeat(3, 1, 1, 1)


def detail(t: torch.Tensor) -> torch.Tensor:
    """|Laplacian| per channel (B,3,S,S): the patch's high-frequency detail."""
    return F.conv2d(t, _LAPLACE.to(t), padding=1, groups=3).abs()


def detail_loss(out: torch.Tensor, real: torch.Tensor, pool: int = 4) -> torch.Tensor:
    """L1 between the local amounts of detail (|Laplacian| averaged over pool×pool windows) of the
    refined and the real patch: asks for as much detail as the real mouth has, where it has it,
    without asking for it at exactly the same pixels (the warp and the real frame are not aligned
    to the pixel, and plain L1 answers that misalignment with blur)."""
    return (F.avg_pool2d(detail(out), pool) - F.avg_pool2d(detail(real), pool)).abs().mean()


def patch_loss(out: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """L1 + L1 of pixel differences + 0.2·(1 − SSIM), [-1, 1] images."""
    l1 = (out - real).abs().mean()
    dx = lambda t: t[..., :, 1:] - t[..., :, :-1]
    dy = lambda t: t[..., 1:, :] - t[..., :-1, :]
    edge = (dx(out) - dx(real)).abs().mean() + (dy(out) - dy(real)).abs().mean()
    return l1 + edge + 0.2 * (1 - ssim(out, real))


@torch.no_grad()
def evaluate(net: MouthNet, data: MouthData, size: int, batch: int = 256) -> dict:
    """Per clip and mean: L1 ([0,1] units) and SSIM of the warp patch and the refined patch against the
    real one, and L1 inside the filled outer lip contour (`lips` channel 1 > 0.5)."""
    net.eval()
    win = window(size)
    acc: dict[str, dict[str, float]] = {}
    for s in range(0, len(data), batch):
        idx = np.arange(s, min(s + batch, len(data)))
        real, warp, lips = data.batch(idx)
        out = refine(net, warp, lips, win)
        inside = (lips[:, 1:2] > 0.5).float()
        area = inside.sum((1, 2, 3)).clamp(min=1) * 3
        scores = {}
        for name, img in (("warp", warp), ("net", out)):
            err = (img - real).abs()
            scores[f"l1_{name}"] = err.mean((1, 2, 3)) / 2
            scores[f"ssim_{name}"] = ssim(img, real, per_sample=True)
            scores[f"lips_{name}"] = (err * inside).sum((1, 2, 3)) / area / 2
            scores[f"detail_{name}"] = (detail(img) * inside).sum((1, 2, 3)) / area / 2
        scores["detail_real"] = (detail(real) * inside).sum((1, 2, 3)) / area / 2
        for j, i in enumerate(idx):
            a = acc.setdefault(data.clip_of[i], {"n": 0, **{k: 0.0 for k in scores}})
            a["n"] += 1
            for k, v in scores.items():
                a[k] += v[j].item()
    net.train()
    per = {c: {k: (v / a["n"] if k != "n" else v) for k, v in a.items()} for c, a in acc.items()}
    keys = [k for k in next(iter(per.values())) if k != "n"]
    mean = {k: float(np.mean([p[k] for p in per.values()])) for k in keys}
    return {"clips": per, "mean": mean}


def lip_oracle(data: MouthData, lm_net, size: int, samples: int = 128, steps: int = 150, lr: float = 0.01,
               lowpass: float = 0.0) -> dict:
    """How far a correction of the warp's mouth patch *could* move face-api's lips, free of any
    network: one correction per sample (B,3,S,S, under the refiner's window, low-passed by σ like the
    shipped refiner's when `lowpass` > 0), optimised by Adam on the landmark term alone. Reports
    the lip distance (px of the face crop) of the warp and of the corrected face, the patch loss of
    both against the real patch, and the correction's mean |Δ| ([-1, 1] units) — the ceiling of
    the `--landmark` term, and how small a change reaches it."""
    win = window(size)
    idx = np.linspace(0, len(data) - 1, min(samples, len(data))).round().astype(int)
    real, warp, _, freal, fwarp, theta = data.batch_face(idx)
    target = lip_targets(lm_net, freal)
    for p in lm_net.parameters():
        p.requires_grad_(False)
    raw = torch.zeros_like(warp, requires_grad=True)
    opt = torch.optim.Adam([raw], lr=lr)

    def corrected() -> tuple[torch.Tensor, torch.Tensor]:
        delta = gaussian_blur(raw, lowpass) if lowpass > 0 else raw
        return (warp + win * delta).clamp(-1, 1), delta

    with torch.no_grad():
        start = landmark_loss(lm_net, fwarp, target).item()
    for _ in range(steps):
        out, _ = corrected()
        loss = landmark_loss(lm_net, paste_face(out, warp, fwarp, theta), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        out, delta = corrected()
        end = landmark_loss(lm_net, paste_face(out, warp, fwarp, theta), target).item()
        return {"samples": len(idx), "steps": steps, "lr": lr, "lowpass": lowpass, "lm_warp": start, "lm_oracle": end,
                "patch_warp": patch_loss(warp, real).item(), "patch_oracle": patch_loss(out, real).item(),
                "mean_abs_delta": (win * delta).abs().mean().item()}


def sample_grid(net: MouthNet, data: MouthData, size: int, path: Path, per_clip: int = 4):
    """Rows: held-out frames (per_clip per clip, spread over the clip); columns: warp, refined, real, |refined − real|·3."""
    from PIL import Image
    rows = []
    starts = {}
    for i, c in enumerate(data.clip_of):
        starts.setdefault(c, [i, i])[1] = i
    idx = []
    for c, (a, b) in starts.items():
        idx += [int(a + (b - a) * (k + 0.5) / per_clip) for k in range(per_clip)]
    with torch.no_grad():
        real, warp, lips = data.batch(np.array(idx))
        out = refine(net.eval(), warp, lips, window(size))
        net.train()
    to8 = lambda t: ((t.permute(0, 2, 3, 1).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    r8, w8, o8 = to8(real), to8(warp), to8(out)
    d8 = (np.abs(o8.astype(int) - r8.astype(int)) * 3).clip(0, 255).astype(np.uint8)
    for j in range(len(idx)):
        rows.append(np.concatenate([w8[j], o8[j], r8[j], d8[j]], 1))
    img = np.concatenate(rows, 0)
    Image.fromarray(img).resize((img.shape[1] * 2, img.shape[0] * 2), Image.NEAREST).save(path)


def train(args) -> None:
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    split = load_split()
    dev_clips = [c for c in args.dev.split(",") if c]
    unknown = [c for c in dev_clips if c not in split["train"]]
    if unknown:
        raise SystemExit(f"--dev clips must be training clips (split.json), not {unknown}")
    if args.landmark > 0 and args.region != "mouth":
        raise SystemExit("--landmark goes with --region mouth")
    kw = {"avatars": args.avatars, "region": args.region, "face": args.landmark > 0}
    tr = MouthData([c for c in split["train"] if c not in dev_clips], args.size, **kw)
    dev = MouthData(dev_clips, args.size, **kw) if dev_clips else None
    va = MouthData(split["val"], args.size, **kw)
    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    net = MouthNet(args.channels, args.lowpass)
    # The weights validated, exported and shipped: an exponential moving average of the trained
    # ones (single SGD iterates swing by ±0.001 held-out L1 from one validation to the next).
    ema = MouthNet(args.channels, args.lowpass)
    ema.load_state_dict(net.state_dict())
    if args.init:
        if Path(args.init).is_dir():  # an exported refiner (e.g. models/weights/mouth): its float16 weights
            init = load_exported(Path(args.init))
            if init.chs != tuple(args.channels) or init.lowpass != net.lowpass:
                raise SystemExit(f"--init {args.init} has channels {init.chs} and low-pass {init.lowpass}, not {tuple(args.channels)} and {net.lowpass}")
            st0 = {"ema": init.state_dict()}
        else:
            st0 = torch.load(args.init, weights_only=False)
        if tuple(st0.get("chs", CHANNELS)) != tuple(args.channels):
            raise SystemExit(f"--init {args.init} has channels {tuple(st0.get('chs', CHANNELS))}, not {tuple(args.channels)}")
        net.load_state_dict(st0["ema"]); ema.load_state_dict(st0["ema"])
    lm_net = Landmarks68.load() if args.landmark > 0 else None
    disc = MouthD() if args.adv > 0 else None
    opt_d = torch.optim.Adam(disc.parameters(), lr=args.lr, betas=(0.5, 0.999)) if disc else None
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999))
    step, trained_s = 0, 0.0
    rng = np.random.default_rng(0)
    ckpt = run / "ckpt.pt"
    if args.resume and ckpt.exists():
        st = torch.load(ckpt, weights_only=False)
        if tuple(st.get("chs", CHANNELS)) != tuple(args.channels):
            raise SystemExit(f"{ckpt} has channels {tuple(st.get('chs', CHANNELS))}; pass --channels {','.join(map(str, st.get('chs', CHANNELS)))} to resume it")
        net.load_state_dict(st["net"]); opt.load_state_dict(st["opt"]); ema.load_state_dict(st["ema"])
        step, trained_s, rng = st["step"], st["trained_s"], st["rng"]
    win = window(args.size)
    stop = {"now": False}
    signal.signal(signal.SIGINT, lambda *_: stop.__setitem__("now", True))
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("now", True))
    log = (run / "losses.csv").open("a", newline="")
    val_log = (run / "val.csv").open("a", newline="")
    lw, vw = csv.writer(log), csv.writer(val_log)
    if step == 0:
        lw.writerow(["step", "loss", "l1"])
        vw.writerow(["step", "dev_l1_warp", "dev_l1_net", "l1_warp", "l1_net", "ssim_warp", "ssim_net", "lips_warp", "lips_net"]
                    + (["dev_lm_warp", "dev_lm_net", "dev_objective", "lm_warp", "lm_net"] if lm_net else []))
    best = {"step": step, "dev": math.inf, "state": None}

    def save():
        torch.save({"net": net.state_dict(), "ema": ema.state_dict(), "opt": opt.state_dict(), "step": step, "trained_s": trained_s, "rng": rng, "region": args.region,
                    "size": args.size, "chs": net.chs, "lowpass": net.lowpass}, ckpt.with_suffix(".tmp"))
        ckpt.with_suffix(".tmp").replace(ckpt)

    def validate():
        """Logs the dev clips' and the held-out persons' scores; keeps the best state by the dev clips' L1 only."""
        plot_losses(run / "losses.csv", run / "losses.png", ["loss", "l1"])
        d = evaluate(ema, dev, args.size)["mean"] if dev else {"l1_warp": math.nan, "l1_net": math.nan}
        extra = []
        score = d["l1_net"]
        if lm_net is not None:
            # With the landmark term the dev clips choose by the objective trained: patch loss + W · lip distance.
            dl = landmark_scores(ema, lm_net, dev, args.size) if dev else {"lm_warp": math.nan, "lm_net": math.nan, "patch": math.nan}
            vl = landmark_scores(ema, lm_net, va, args.size)
            score = dl["patch"] + args.landmark * dl["lm_net"]
            extra = [f"{dl['lm_warp']:.4f}", f"{dl['lm_net']:.4f}", f"{score:.5f}", f"{vl['lm_warp']:.4f}", f"{vl['lm_net']:.4f}"]
            sys.stderr.write(f"\n  lip landmarks (face-api, px of {LANDMARK_INPUT}): dev warp {dl['lm_warp']:.4f} → {dl['lm_net']:.4f}, held-out {vl['lm_warp']:.4f} → {vl['lm_net']:.4f}")
        if dev and score < best["dev"]:
            best.update(step=step, dev=score, state={k: v.clone() for k, v in ema.state_dict().items()})
        m = evaluate(ema, va, args.size)["mean"]
        vw.writerow([step, f"{d['l1_warp']:.5f}", f"{d['l1_net']:.5f}"] + [f"{m[k]:.5f}" for k in ("l1_warp", "l1_net", "ssim_warp", "ssim_net", "lips_warp", "lips_net")] + extra); val_log.flush()
        sys.stderr.write(f"\n  val @ {step}: dev L1 warp {d['l1_warp']:.4f} → {d['l1_net']:.4f} (best @ {best['step']}); held-out L1 warp {m['l1_warp']:.4f} → {m['l1_net']:.4f}, "
                         f"SSIM {m['ssim_warp']:.4f} → {m['ssim_net']:.4f}, lips L1 {m['lips_warp']:.4f} → {m['lips_net']:.4f}, "
                         f"lips detail {m['detail_warp']:.4f} → {m['detail_net']:.4f} (real {m['detail_real']:.4f})\n")

    limit = args.minutes * 60
    t_start = time.time() - trained_s
    rate_t, rate_s = time.time(), step
    while step < args.steps and not stop["now"] and (limit <= 0 or time.time() - t_start < limit):
        idx = rng.integers(0, len(tr), args.batch)
        if lm_net is not None:
            real, warp, lips, freal, fwarp, theta = tr.batch_face(idx, rng)
        else:
            real, warp, lips = tr.batch(idx, rng)
        out = refine(net, warp, lips, win)
        loss = patch_loss(out, real)
        if lm_net is not None:
            loss = loss + args.landmark * landmark_loss(lm_net, paste_face(out, warp, fwarp, theta), lip_targets(lm_net, freal))
        if args.detail > 0:
            loss = loss + args.detail * detail_loss(out, real)
        if disc is not None:
            # D: hinge on real vs refined patches; G: the reconstruction loss + adv × −D(refined).
            d_loss = F.relu(1 - disc(real, lips)).mean() + F.relu(1 + disc(out.detach(), lips)).mean()
            opt_d.zero_grad(); d_loss.backward(); opt_d.step()
            loss = loss - args.adv * disc(out, lips).mean()
        opt.zero_grad()
        loss.backward()
        if limit > 0:  # cosine decay of the learning rate over the time budget
            for g in opt.param_groups:
                g["lr"] = args.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, trained_s / limit)))
        opt.step()
        with torch.no_grad():
            d = min(args.ema, (1 + step) / (10 + step))
            for pe, p in zip(ema.parameters(), net.parameters()):
                pe.mul_(d).add_(p, alpha=1 - d)
        step += 1
        trained_s = time.time() - t_start
        if step % 10 == 0:
            l1 = (out - real).abs().mean().item() / 2
            lw.writerow([step, f"{loss.item():.5f}", f"{l1:.5f}"]); log.flush()
            rate = (step - rate_s) / max(1e-6, time.time() - rate_t)
            eta = (limit - trained_s) if limit > 0 else (args.steps - step) / max(rate, 1e-6)
            sys.stderr.write(f"\rstep {step} loss {loss.item():.4f} l1 {l1:.4f} {rate:.2f} it/s ETA {_fmt(max(0, eta))}   ")
        if step % args.val_every == 0:
            validate(); save()
            if dev and step - best["step"] >= args.patience * args.val_every:
                sys.stderr.write(f"  the dev clips stopped improving at step {best['step']}\n")
                break
    save()
    if step % args.val_every:  # the last step was not validated in the loop
        validate()
    if best["state"] is not None:  # ship the state the dev clips liked best
        ema.load_state_dict(best["state"])
        step = best["step"]
        save()
        m = evaluate(ema, va, args.size)["mean"]
        sys.stderr.write(f"kept step {step}: held-out L1 warp {m['l1_warp']:.4f} → {m['l1_net']:.4f}, SSIM {m['ssim_warp']:.4f} → {m['ssim_net']:.4f}, "
                         f"lips L1 {m['lips_warp']:.4f} → {m['lips_net']:.4f}, "
                         f"lips detail {m['detail_warp']:.4f} → {m['detail_net']:.4f} (real {m['detail_real']:.4f})\n")
    sample_grid(ema, va, args.size, run / "heldout.png")
    sys.stderr.write(f"\nsaved {ckpt} at step {step} ({_fmt(trained_s)} trained)\n")
    if not args.no_export:
        export_mouth(ema, args.size, run / "export", step, region=args.region)
        sys.stderr.write(f"exported to {run / 'export'} (copy to models/weights/{args.region} to ship it)\n")


def load_ckpt(path: Path) -> tuple[MouthNet, int]:
    """The checkpoint's moving-average weights (what is validated and exported) and its patch size."""
    st = torch.load(path, weights_only=False)
    net = MouthNet(st.get("chs", CHANNELS), st.get("lowpass", 0.0))
    net.load_state_dict(st["ema"])
    return net.eval(), st["size"]


MOUTH_FORMAT = "visage-mouth-weights"


def export_mouth(net: MouthNet, size: int, out_dir: Path, steps: int, inputs: tuple[torch.Tensor, torch.Tensor] | None = None,
                 parity_clip: str = "liveportrait-d1", region: str = "mouth") -> dict:
    """tfjs weights (float16, tensors 'M/<layer>/kernel|bias' in HWIO) + a parity fixture computed
    by the network rebuilt from the exported file on `inputs` (warp, lips; default: 2 cached patches
    of `parity_clip`) → delta, alpha, patch."""
    from .export import named_tensors, write_fixture, write_manifest
    write_manifest(out_dir, named_tensors("M", net), MOUTH_FORMAT, {
        "architecture": "mouth refiner U-Net (models/neural/mouth.py, EXPORT.md)",
        "layout": "NHWC", "size": size, "channels": list(net.chs), "span": REGIONS[region][0], "drop": REGIONS[region][1],
        "windowEdge": WINDOW_EDGE, "trainedSteps": steps, **({"lowpass": net.lowpass} if net.lowpass > 0 else {}),
    })
    back = load_exported(out_dir)
    if inputs is None:
        data = MouthData([parity_clip], size, region=region)
        _, warp, lips = data.batch(np.array([len(data) // 3, (2 * len(data)) // 3]))
    else:
        warp, lips = inputs
    with torch.no_grad():
        delta, alpha = correction(back, warp, lips, window(size))
        patch = (warp + alpha * delta).clamp(-1, 1)
    nhwc = lambda t: t.permute(0, 2, 3, 1).numpy()
    return write_fixture(Path(out_dir) / "parity", {"warp": (nhwc(warp), "input"), "lips": (nhwc(lips), "input"),
                                                    "delta": (nhwc(delta), "output"), "alpha": (nhwc(alpha), "output"),
                                                    "patch": (nhwc(patch), "output")})


def load_exported(model_dir: Path) -> MouthNet:
    """The network rebuilt from exported weights (float16 values, as the client gets them)."""
    from .export import read_weights
    model, w = read_weights(model_dir)
    if model.get("format") != MOUTH_FORMAT:
        raise ValueError(f"{model_dir}: format {model.get('format')!r} is not {MOUTH_FORMAT}")
    net = MouthNet(model["modelTopology"]["channels"], model["modelTopology"].get("lowpass", 0.0)).eval()
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, nn.Conv2d):
                m.weight.copy_(torch.from_numpy(w[f"M/{name}/kernel"]).permute(3, 2, 0, 1))
                m.bias.copy_(torch.from_numpy(w[f"M/{name}/bias"]))
    return net


def person_finetune(args) -> dict:
    """Experiment (session 8): does the shipped refiner improve when fine-tuned on one person's K
    enrollment frames, as the face refiner is on the sender? Per held-out clip: K patches from the
    first 20 % of the clip, rendered by the clip's one-photo warp avatar (not its own photo: a
    stand-in for leave-one-out renders of the sender's photos), horizontal flips; Adam on `layers`
    for up to max(--steps) steps; scores (L1, SSIM, lips L1, as `eval`) on every patch of the last
    80 % at each of --steps. No early stopping: the curve shows whether any step count helps."""
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    base = load_exported(Path(args.weights))
    size = int(json.loads((Path(args.weights) / "model.json").read_text())["modelTopology"]["size"])
    win = window(size)
    steps_list = sorted(set([0] + args.steps))
    res: dict = {"lr": args.lr, "layers": args.layers, "shots": args.shots, "clips": {}}
    for clip in load_split()["val"]:
        d = MouthData([clip], size)
        n = len(d)
        cut = int(0.2 * n)
        cand = [j for j in range(0, cut) if j % 2 == 0]  # even rows: the one-photo avatar (neural-mouth-cache.ts)
        shots = [cand[int((k + 0.5) * len(cand) / args.shots)] for k in range(args.shots)]
        rt, wt, lt = d.batch(np.arange(cut, n))
        rs, ws, ls = d.batch(np.array(shots))
        net = MouthNet(base.chs)
        net.load_state_dict(base.state_dict())
        params = [p for name, p in net.named_parameters() if args.layers == "all" or name.split(".")[0] in args.layers.split(",")]
        opt = torch.optim.Adam(params, lr=args.lr)
        rng = np.random.default_rng(0)
        row, step = {}, 0
        for target in steps_list:
            while step < target:
                flip = torch.from_numpy(rng.random(len(shots)) < 0.5)
                r, w, l = rs.clone(), ws.clone(), ls.clone()
                r[flip], w[flip], l[flip] = r[flip].flip(-1), w[flip].flip(-1), l[flip].flip(-1)
                loss = patch_loss(refine(net, w, l, win), r)
                opt.zero_grad()
                loss.backward()
                opt.step()
                step += 1
            net.eval()
            with torch.no_grad():
                out = refine(net, wt, lt, win)
            net.train()
            inside = (lt[:, 1:2] > 0.5).float()
            err = (out - rt).abs()
            row[target] = {"l1": float(err.mean() / 2), "ssim": float(ssim(out, rt)),
                           "lips": float(((err * inside).sum((1, 2, 3)) / (inside.sum((1, 2, 3)).clamp(min=1) * 3) / 2).mean())}
        res["clips"][clip] = {"warp_l1": float((wt - rt).abs().mean() / 2), "steps": row}
        print(clip, " ".join(f"{k}: L1 {v['l1']:.4f} SSIM {v['ssim']:.3f} lips {v['lips']:.4f}" for k, v in row.items()), flush=True)
    res["mean"] = {k: {m: float(np.mean([c["steps"][k][m] for c in res["clips"].values()])) for m in ("l1", "ssim", "lips")} for k in steps_list}
    for k, v in res["mean"].items():
        print(f"mean, step {k}: L1 {v['l1']:.4f} SSIM {v['ssim']:.3f} lips {v['lips']:.4f}")
    return res


def compare_grid(weights: list[str], path: Path, per_clip: int = 3) -> None:
    """Held-out patches where the real mouth has the most detail (teeth showing), per_clip per clip at
    least 20 patches apart, from the last 80 % of each clip; columns: warp, each exported refiner in
    `weights`, real."""
    from PIL import Image
    nets = [load_exported(Path(w)) for w in weights]
    sizes = {int(json.loads((Path(w) / "model.json").read_text())["modelTopology"]["size"]) for w in weights}
    if len(sizes) != 1:
        raise SystemExit(f"the refiners were trained on different patch sizes: {sorted(sizes)}")
    size = sizes.pop()
    win = window(size)
    to8 = lambda t: ((t.permute(0, 2, 3, 1).numpy() + 1) * 127.5).clip(0, 255).astype(np.uint8)
    rows = []
    for clip in load_split()["val"]:
        d = MouthData([clip], size)
        real, warp, lips = d.batch(np.arange(int(0.2 * len(d)), len(d)))
        amount = (detail(real) * (lips[:, 1:2] > 0.5)).sum((1, 2, 3)).numpy()
        pick: list[int] = []
        for j in np.argsort(-amount):
            if all(abs(int(j) - q) > 20 for q in pick):
                pick.append(int(j))
            if len(pick) == per_clip:
                break
        pick = sorted(pick)
        with torch.no_grad():
            outs = [to8(refine(n, warp[pick], lips[pick], win)) for n in nets]
        w8, r8 = to8(warp[pick]), to8(real[pick])
        rows += [np.concatenate([w8[k]] + [o[k] for o in outs] + [r8[k]], 1) for k in range(len(pick))]
    Image.fromarray(np.concatenate(rows, 0)).save(path, optimize=True)


def check_lowpass(ap: argparse.ArgumentParser, sigma: float, size: int) -> None:
    if not (0 <= sigma <= MAX_LOWPASS_SIGMA) or math.ceil(3 * sigma) >= size:
        ap.error(f"--lowpass takes a σ in [0, {MAX_LOWPASS_SIGMA}] smaller than a third of --size, got {sigma}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m neural.mouth")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--run", default=str(MODELS_DIR / "runs" / "mouth"))
    t.add_argument("--size", type=int, default=48)
    t.add_argument("--batch", type=int, default=16)
    t.add_argument("--lr", type=float, default=5e-4)
    t.add_argument("--steps", type=int, default=100000)
    t.add_argument("--minutes", type=float, default=40.0, help="training time limit (0: none)")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--val-every", type=int, default=500)
    t.add_argument("--dev", default=DEV_CLIPS, help="training clips (one person each) held out to choose the step: comma list, '' for none")
    t.add_argument("--patience", type=int, default=6, help="validations without a better dev score before stopping")
    t.add_argument("--ema", type=float, default=0.999, help="decay of the weights' moving average that is validated and exported")
    t.add_argument("--resume", action="store_true")
    t.add_argument("--init", help="start from this checkpoint's moving-average weights, or an exported refiner folder's weights (new run)")
    t.add_argument("--adv", type=float, default=0.0, help="weight of the adversarial term (patch discriminator, hinge); 0: off")
    t.add_argument("--detail", type=float, default=0.0, help="weight of the detail term (local |Laplacian| amounts matched to the real patch's); 0: off")
    t.add_argument("--lowpass", type=float, default=0.0, help="σ (patch px) of a Gaussian the correction is low-passed by (0: off)")
    t.add_argument("--landmark", type=float, default=0.0,
                   help="weight of the landmark term: mean distance (px of 112) between the lips face-api's 68-point network finds in the "
                        "refined face and in the real one (needs the cache's --face 112 crops); 0: off")
    t.add_argument("--no-export", action="store_true", help="do not write <run>/export/ at the end")
    t.add_argument("--channels", type=lambda v: tuple(int(c) for c in v.split(",")), default=CHANNELS,
                   help="the U-Net's widths per level, 4 comma-separated integers (default %(default)s)")
    e = sub.add_parser("eval")
    for p in (t, e):
        p.add_argument("--avatars", type=int, choices=(2, 4), default=2, help="patches rendered by 2 warp avatars per clip, or by 4 (each frame twice)")
        p.add_argument("--region", choices=tuple(REGIONS), default="mouth", help="the patches' region (the cache script's --region)")
    src = e.add_mutually_exclusive_group(required=True)
    src.add_argument("--ckpt", help="a training checkpoint (its moving-average weights)")
    src.add_argument("--weights", help="an exported refiner folder (model.json + shards), e.g. models/weights/mouth")
    e.add_argument("--clips", choices=("val", "dev"), default="val", help="the held-out persons (split.json's val) or the dev clips (DEV_CLIPS)")
    e.add_argument("--landmarks", action="store_true", help="also score the lips with face-api's landmark network (needs the cache's --face 112 crops)")
    e.add_argument("--grid")
    e.add_argument("--json")
    x = sub.add_parser("export")
    x.add_argument("--ckpt", required=True)
    x.add_argument("--out", default=str(MODELS_DIR / "weights" / "mouth"))
    x.add_argument("--region", choices=tuple(REGIONS), help="the patches' region (default: the checkpoint's, else mouth)")
    f = sub.add_parser("person-ft", help="experiment: fine-tune the shipped refiner on each held-out person's enrollment frames")
    f.add_argument("--weights", default=str(MODELS_DIR / "weights" / "mouth"))
    f.add_argument("--lr", type=float, default=1e-4)
    f.add_argument("--layers", default="all", help="'all' or a comma list of top-level modules (enc0..enc3, dec0..dec2, out)")
    f.add_argument("--shots", type=int, default=8)
    f.add_argument("--steps", type=lambda v: [int(x) for x in v.split(",")], default=[25, 50, 100, 200, 400])
    f.add_argument("--threads", type=int, default=1)
    f.add_argument("--json")
    o = sub.add_parser("oracle", help="diagnostic: how far a free per-sample correction of the warp patch moves face-api's lips (the landmark term's ceiling)")
    o.add_argument("--clips", choices=("val", "dev"), default="dev")
    o.add_argument("--samples", type=int, default=128, help="patches, evenly spaced over the clips' cache")
    o.add_argument("--steps", type=int, default=150)
    o.add_argument("--lr", type=float, default=0.01)
    o.add_argument("--lowpass", type=float, default=0.0, help="σ (patch px) the correction is low-passed by, as the refiner's (0: off)")
    o.add_argument("--size", type=int, default=48)
    o.add_argument("--threads", type=int, default=2)
    o.add_argument("--json")
    g = sub.add_parser("grid", help="held-out patches with teeth: warp, each refiner, real")
    g.add_argument("--weights", required=True, help="comma list of exported refiner folders")
    g.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "grid":
        compare_grid(args.weights.split(","), Path(args.out))
    elif args.cmd == "oracle":
        if args.samples < 1 or args.steps < 1 or args.lr <= 0 or args.threads < 1:
            ap.error("--samples ≥ 1, --steps ≥ 1, --lr > 0, --threads ≥ 1")
        check_lowpass(ap, args.lowpass, args.size)
        torch.set_num_threads(args.threads)
        clips = load_split()["val"] if args.clips == "val" else DEV_CLIPS.split(",")
        r = lip_oracle(MouthData(clips, args.size, face=True), Landmarks68.load(), args.size, args.samples, args.steps, args.lr, args.lowpass)
        print(json.dumps(r, indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(r, indent=1))
    elif args.cmd == "person-ft":
        mods = {"enc0", "enc1", "enc2", "enc3", "dec0", "dec1", "dec2", "out"}
        if args.lr <= 0 or args.shots < 1 or args.threads < 1 or min(args.steps) < 0:
            ap.error("--lr > 0, --shots ≥ 1, --threads ≥ 1, --steps ≥ 0")
        if args.layers != "all" and not set(args.layers.split(",")) <= mods:
            ap.error(f"--layers: 'all' or a comma list of {', '.join(sorted(mods))}")
        r = person_finetune(args)
        if args.json:
            Path(args.json).write_text(json.dumps(r, indent=1))
    elif args.cmd == "train":
        if args.size < 16 or args.batch < 1 or args.lr <= 0 or args.threads < 1 or not 0 <= args.ema < 1:
            ap.error("--size ≥ 16, --batch ≥ 1, --lr > 0, --threads ≥ 1 and 0 ≤ --ema < 1")
        if len(args.channels) != 4 or min(args.channels) < 1:
            ap.error(f"--channels takes 4 positive integers, got {args.channels}")
        check_lowpass(ap, args.lowpass, args.size)
        train(args)
    elif args.cmd == "export":
        net, size = load_ckpt(Path(args.ckpt))
        st = torch.load(args.ckpt, weights_only=False)
        fx = export_mouth(net, size, Path(args.out), st["step"], region=args.region or st.get("region", "mouth"))
        print(f"exported to {args.out} ({len(fx['tensors'])} fixture tensors)")
    else:
        if args.ckpt:
            net, size = load_ckpt(Path(args.ckpt))
        else:
            net = load_exported(Path(args.weights))
            size = int(json.loads((Path(args.weights) / "model.json").read_text())["modelTopology"]["size"])
        clips = load_split()["val"] if args.clips == "val" else DEV_CLIPS.split(",")
        va = MouthData(clips, size, avatars=args.avatars, region=args.region, face=args.landmarks)
        r = evaluate(net, va, size)
        if args.landmarks:  # face-api's lip-landmark distance to the real face (px of 112), warp and refined, and the patch loss
            r["mean"].update(landmark_scores(net, Landmarks68.load(), va, size))
        print(json.dumps(r["mean"], indent=1))
        if args.json:
            Path(args.json).write_text(json.dumps(r, indent=1))
        if args.grid:
            sample_grid(net, va, size, Path(args.grid))


if __name__ == "__main__":
    main()
