"""Export G and E to the tfjs weights format (model.json + float16 shards) and back.

`python -m neural.export --ckpt models/runs/tiny/ckpt.pt --out models/weights/neural`
See EXPORT.md for the exact layout.
"""
from __future__ import annotations

import argparse
import json
import struct
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from .nets import AdaINSlot, AffineIN, Embedder, Generator, NetConfig, composite

FORMAT = "visage-neural-weights"
VERSION = 1
SHARD_BYTES = 4 * 1024 * 1024


def named_tensors(prefix: str, net: nn.Module) -> list[tuple[str, np.ndarray]]:
    """(name, float32 array in tfjs layout) in export order = `named_modules` order.
    Conv2d weight OIHW -> HWIO '<m>/kernel' (spectral norm folded: the parametrised `.weight`
    in eval mode is W/σ); Linear [out,in] -> [in,out]; AffineIN -> '<m>/gamma', '<m>/beta'."""
    net.eval()
    out = []
    with torch.no_grad():
        for name, m in net.named_modules():
            if isinstance(m, nn.Conv2d):
                out.append((f"{prefix}/{name}/kernel", m.weight.permute(2, 3, 1, 0).numpy()))
                out.append((f"{prefix}/{name}/bias", m.bias.numpy()))
            elif isinstance(m, nn.Linear):
                out.append((f"{prefix}/{name}/kernel", m.weight.t().numpy()))
                out.append((f"{prefix}/{name}/bias", m.bias.numpy()))
            elif isinstance(m, AffineIN):
                out.append((f"{prefix}/{name}/gamma", m.weight.numpy()))
                out.append((f"{prefix}/{name}/beta", m.bias.numpy()))
    return [(n, np.ascontiguousarray(a, dtype=np.float32)) for n, a in out]


def fp16_round(net: nn.Module) -> nn.Module:
    """A copy of `net` whose parameters are rounded to float16 precision (what the export holds).
    Exact for G; for E the export rounds W/σ instead, which differs by < 1e-4 in the embedding."""
    import copy
    net = copy.deepcopy(net)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(p.half().float())
    return net


def adain_slots(g: Generator) -> list[dict]:
    slots, off = [], 0
    names = {id(m): n for n, m in g.named_modules()}
    for s in g.slots:
        slots.append({"name": f"G/{names[id(s)]}", "channels": s.ch, "offset": off})
        off += 2 * s.ch
    return slots


def write_manifest(out_dir: Path, tensors: list[tuple[str, np.ndarray]], fmt: str, topology: dict) -> Path:
    """model.json (tfjs weights manifest, `format`, `modelTopology`) + float16 shards of `tensors`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("group1-shard*.bin"):
        old.unlink()
    blob = b"".join(a.astype("<f2").tobytes() for _, a in tensors)
    n = max(1, -(-len(blob) // SHARD_BYTES))
    paths = [f"group1-shard{i + 1}of{n}.bin" for i in range(n)]
    for i, p in enumerate(paths):
        (out_dir / p).write_bytes(blob[i * SHARD_BYTES:(i + 1) * SHARD_BYTES])
    model = {
        "format": fmt,
        "formatVersion": VERSION,
        "generatedBy": f"torch {torch.__version__}",
        "convertedBy": "models/neural/export.py",
        "modelTopology": topology,
        "weightsManifest": [{
            "paths": paths,
            "weights": [{"name": nm, "shape": list(a.shape), "dtype": "float32",
                         "quantization": {"dtype": "float16", "original_dtype": "float32"}}
                        for nm, a in tensors],
        }],
    }
    (out_dir / "model.json").write_text(json.dumps(model, indent=1))
    return out_dir


def export(g: Generator, e: Embedder, out_dir: Path, size: int, meta: dict | None = None) -> Path:
    return write_manifest(out_dir, named_tensors("G", g) + named_tensors("E", e), FORMAT, {
        "architecture": "zakharov2019-adain (see models/neural/EXPORT.md)",
        "layout": "NHWC",
        "imageSize": size,
        "valueRange": [-1, 1],
        "net": asdict(g.cfg),
        "psiDim": g.psi_dim,
        "adainSlots": adain_slots(g),
        "instanceNormEpsilon": 1e-5,
        **({"composite": ("frame = clamp(warpRGB + mask * rgb, -1, 1)" if g.cfg.residual else
                          "frame = warpRGB * (1 - mask) + rgb * mask") + " (bi-layer refiner; see EXPORT.md)"}
           if g.cfg.refine else {}),
        **(meta or {}),
    })


def read_weights(model_dir: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """Parse model.json + shards exactly as tfjs would (float16 -> float32)."""
    model_dir = Path(model_dir)
    model = json.loads((model_dir / "model.json").read_text())
    out = {}
    for group in model["weightsManifest"]:
        blob = b"".join((model_dir / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            assert w["quantization"]["dtype"] == "float16"
            a = np.frombuffer(blob, "<f2", n, off).astype(np.float32).reshape(w["shape"])
            out[w["name"]] = a
            off += 2 * n
        assert off == len(blob), "manifest does not cover the shards exactly"
    return model, out


def load_nets(model_dir: Path) -> tuple[Generator, Embedder, dict]:
    """Rebuild G and E (E without spectral norm: σ is folded into the exported kernels)."""
    model, w = read_weights(model_dir)
    cfg = NetConfig(**model["modelTopology"]["net"])
    g, e = Generator(cfg).eval(), Embedder(cfg, sn=False).eval()
    for prefix, net in (("G", g), ("E", e)):
        with torch.no_grad():
            for name, m in net.named_modules():
                key = f"{prefix}/{name}"
                if isinstance(m, nn.Conv2d):
                    m.weight.copy_(torch.from_numpy(w[f"{key}/kernel"]).permute(3, 2, 0, 1))
                    m.bias.copy_(torch.from_numpy(w[f"{key}/bias"]))
                elif isinstance(m, nn.Linear):
                    m.weight.copy_(torch.from_numpy(w[f"{key}/kernel"]).t())
                    m.bias.copy_(torch.from_numpy(w[f"{key}/bias"]))
                elif isinstance(m, AffineIN):
                    m.weight.copy_(torch.from_numpy(w[f"{key}/gamma"]))
                    m.bias.copy_(torch.from_numpy(w[f"{key}/beta"]))
    return g, e, model


def nchw_to_nhwc(t: torch.Tensor) -> np.ndarray:
    a = t.detach().numpy()
    if a.ndim == 4:
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1))
    if a.ndim == 5:
        return np.ascontiguousarray(a.transpose(0, 1, 3, 4, 2))
    return np.ascontiguousarray(a)


def write_parity(model_dir: Path, inputs: dict[str, torch.Tensor]) -> dict:
    """Run the *exported* weights (re-loaded) on `inputs` and write parity/fixture.json + .bin.
    inputs: ref_frames (1,K,3,S,S), ref_lms (1,K,3,S,S), lm (1,3,S,S), warp (1,4,S,S).
    Outputs: embedding, psi, rgb, mask, and composite = warp·(1−mask) + rgb·mask."""
    g, e, _ = load_nets(model_dir)
    with torch.no_grad():
        emb = e(inputs["ref_frames"], inputs["ref_lms"])
        psi = g.adain_params(emb)
        rgb, mask = g(inputs["lm"], psi, inputs["warp"])
        comp = composite(rgb, mask, inputs["warp"][:, :3], g.cfg.residual, g.cfg.lowpass)
    tensors = {**inputs, "embedding": emb, "psi": psi, "rgb": rgb, "mask": mask, "composite": comp}
    outputs = ("embedding", "psi", "rgb", "mask", "composite")
    return write_fixture(Path(model_dir) / "parity", {n: (nchw_to_nhwc(t), "output" if n in outputs else "input") for n, t in tensors.items()})


def write_fixture(pdir: Path, tensors: dict[str, tuple[np.ndarray, str]]) -> dict:
    """parity/fixture.json + fixture.bin: float32 LE tensors (name → (array, 'input' | 'output')), tolerance 1e-3."""
    pdir.mkdir(parents=True, exist_ok=True)
    entries, blob, off = [], b"", 0
    for name, (arr, role) in tensors.items():
        a = np.ascontiguousarray(arr).astype("<f4")
        entries.append({"name": name, "shape": list(a.shape), "dtype": "float32", "byteOffset": off, "role": role})
        blob += a.tobytes()
        off += a.nbytes
    (pdir / "fixture.bin").write_bytes(blob)
    fx = {"layout": "NHWC (images), [B,K,H,W,C] for reference sets", "littleEndian": True,
          "tolerance": 1e-3, "tensors": entries}
    (pdir / "fixture.json").write_text(json.dumps(fx, indent=1))
    return fx


def read_parity(model_dir: Path) -> dict[str, np.ndarray]:
    pdir = Path(model_dir) / "parity"
    fx = json.loads((pdir / "fixture.json").read_text())
    blob = (pdir / "fixture.bin").read_bytes()
    return {t["name"]: np.frombuffer(blob, "<f4", int(np.prod(t["shape"])), t["byteOffset"]).reshape(t["shape"])
            for t in fx["tensors"]}


def parity_inputs(size: int, k: int = 2, clip: str = "liveportrait-d1", warp: bool = False) -> dict[str, torch.Tensor]:
    """warp=True: the target's real v1 warp channels from the warp cache (refiner weights);
    otherwise zeros (weights trained without them)."""
    from .episodes import fixed_episodes
    ep = fixed_episodes([clip], size, k, targets=1, warp=warp)[0]
    return {"ref_frames": ep["ref_frames"].contiguous(), "ref_lms": ep["ref_lms"].contiguous(),
            "lm": ep["lm"], "warp": ep["warp"].contiguous() if warp else torch.zeros(1, 4, size, size)}


def export_run(ckpt_path: Path, out_dir: Path, parity_clip: str = "liveportrait-d1") -> Path:
    ck = torch.load(ckpt_path, weights_only=False)
    cfg = NetConfig(**ck["config"]["net"])
    g, e = Generator(cfg), Embedder(cfg)
    g.load_state_dict(ck["G"]), e.load_state_dict(ck["E"])
    size = ck["config"]["size"]
    meta = {"trainedSteps": ck["step"], "trainedSeconds": round(ck["elapsed"]), "config": ck["config"]["name"]}
    export(g, e, out_dir, size, meta)
    write_parity(out_dir, parity_inputs(size, clip=parity_clip, warp=cfg.refine))
    return Path(out_dir)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    out = export_run(Path(a.ckpt), Path(a.out))
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"exported to {out} ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
