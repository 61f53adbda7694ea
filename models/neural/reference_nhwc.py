"""Executable specification of the exported networks: a NumPy NHWC forward pass that reads only
model.json + the weight shards (no PyTorch), written op-for-op the way the tfjs implementation
should be. Tested against the PyTorch parity fixture (tests/test_reference_nhwc.py)."""
from __future__ import annotations

import numpy as np

from .export import read_weights


def conv(x, w, name, stride=1):
    """x (B,H,W,Cin); kernel HWIO; zero padding k//2 on every side (tfjs: explicit padding
    [[0,0],[p,p],[p,p],[0,0]], NOT 'same', which pads asymmetrically for stride 2)."""
    k, b = w[f"{name}/kernel"], w[f"{name}/bias"]
    kh, kw = k.shape[:2]
    p = kh // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    ho = (x.shape[1] + 2 * p - kh) // stride + 1
    wo = (x.shape[2] + 2 * p - kw) // stride + 1
    out = np.zeros((x.shape[0], ho, wo, k.shape[3]), np.float32)
    for dy in range(kh):
        for dx in range(kw):
            patch = xp[:, dy:dy + stride * (ho - 1) + 1:stride, dx:dx + stride * (wo - 1) + 1:stride, :]
            out += patch @ k[dy, dx]
    return out + b


def inorm(x, eps):
    mu = x.mean((1, 2), keepdims=True)
    var = ((x - mu) ** 2).mean((1, 2), keepdims=True)
    return (x - mu) / np.sqrt(var + eps)


relu = lambda x: np.maximum(x, 0)
pool = lambda x: x.reshape(x.shape[0], x.shape[1] // 2, 2, x.shape[2] // 2, 2, x.shape[3]).mean((2, 4))
up = lambda x: x.repeat(2, 1).repeat(2, 2)


def embed(w, topo, frames, lms):
    """frames, lms (B,K,S,S,3) in [-1,1] -> (B, emb_dim): mean over K of relu(trunk).mean(H,W)."""
    b, k = frames.shape[:2]
    x = np.concatenate([frames, lms], -1).reshape(b * k, *frames.shape[2:4], -1)
    x = conv(x, w, "E/enc.stem", 2)
    for i in range(len(topo["net"]["e_ch"]) - 1):
        n = f"E/enc.blocks.{i}"
        h = conv(relu(x), w, f"{n}.c1", 2)
        h = conv(relu(h), w, f"{n}.c2")
        x = h + conv(pool(x), w, f"{n}.skip")
    return relu(x).mean((1, 2)).reshape(b, k, -1).mean(1)


def generate(w, topo, lm, psi, warp):
    """lm (B,S,S,3), psi (B,psi_dim), warp (B,S,S,4) -> rgb (B,S,S,3), mask (B,S,S,1)."""
    eps = topo["instanceNormEpsilon"]
    slots = {s["name"]: s for s in topo["adainSlots"]}

    def adain(x, name):
        s = slots[name]
        o, c = s["offset"], s["channels"]
        gamma, beta = psi[:, None, None, o:o + c], psi[:, None, None, o + c:o + 2 * c]
        return (1 + gamma) * inorm(x, eps) + beta

    def affine_in(x, name):
        return inorm(x, eps) * w[f"{name}/gamma"] + w[f"{name}/beta"]

    net = topo["net"]
    x = conv(np.concatenate([lm, warp], -1), w, "G/stem", 2)
    for i in range(len(net["g_down"])):
        n = f"G/down.{i}"
        h = conv(relu(affine_in(x, f"{n}.n1")), w, f"{n}.c1", 2)
        h = conv(relu(affine_in(h, f"{n}.n2")), w, f"{n}.c2")
        x = h + conv(pool(x), w, f"{n}.skip")
    for i in range(net["g_res"]):
        n = f"G/res.{i}"
        h = conv(relu(adain(x, f"{n}.n1")), w, f"{n}.c1")
        x = x + conv(relu(adain(h, f"{n}.n2")), w, f"{n}.c2")
    for i in range(len(net["g_up"])):
        n = f"G/up.{i}"
        h = conv(up(relu(adain(x, f"{n}.n1"))), w, f"{n}.c1")
        h = conv(relu(adain(h, f"{n}.n2")), w, f"{n}.c2")
        x = h + up(conv(x, w, f"{n}.skip"))
    x = conv(up(relu(adain(x, "G/out_norm"))), w, "G/out")
    mask = 1 / (1 + np.exp(-x[..., 3:4]))
    if net.get("mask_face"):
        mask = mask * warp[..., 3:4]
    return np.tanh(x[..., :3]), mask


def run(model_dir, fixture: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    model, w = read_weights(model_dir)
    topo = model["modelTopology"]
    emb = embed(w, topo, fixture["ref_frames"], fixture["ref_lms"])
    psi = emb @ w["G/proj/kernel"] + w["G/proj/bias"]
    rgb, mask = generate(w, topo, fixture["lm"], psi, fixture["warp"])
    warp = fixture["warp"][..., :3]  # the refiner's frame at S×S
    if topo["net"].get("residual"):
        comp = np.clip(warp + mask * rgb, -1, 1)
    else:
        comp = warp * (1 - mask) + rgb * mask
    return {"embedding": emb, "psi": psi, "rgb": rgb, "mask": mask, "composite": comp}
