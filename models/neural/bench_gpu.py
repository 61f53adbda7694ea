"""Benchmark (not a test): PyTorch throughput of the networks on whatever device torch sees
(CUDA on the accelerator machine, else the CPU) — G's forward pass at 64 and 256 px (batch 1,
fp32 and bf16 autocast) and the `full` config's meta-learning step (E, G, D, all losses, batch
16 at 256 px) on random data of the sampler's shapes; from it the hours that config's 200 000
steps would take. Data loading is not included (the step's own cost only).

    python -m neural.bench_gpu [--config full] [--steps 20] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

from .flops import count_flops
from .nets import Generator
from .train import TrainConfig, Trainer

CONFIGS = Path(__file__).parent / "configs"


def sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, reps: int, dev: torch.device) -> float:
    """ms per call after two warm-up calls."""
    fn(), fn()
    sync(dev)
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    sync(dev)
    return (time.perf_counter() - t) / reps * 1000


def random_batch(cfg: TrainConfig, n_ids: int, dev: torch.device) -> dict:
    b, k, s = cfg.batch, cfg.k_max, cfg.size
    r = lambda *shape: torch.rand(*shape, device=dev) * 2 - 1
    batch = {"ref_frames": r(b, k, 3, s, s), "ref_lms": r(b, k, 3, s, s), "frame": r(b, 3, s, s), "lm": r(b, 3, s, s),
             "vid": torch.randint(0, n_ids, (b,), device=dev), "k": k}
    if cfg.net.refine:
        batch["warp"] = torch.cat([r(b, 3, s, s), torch.ones(b, 1, s, s, device=dev)], 1)
    return batch


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m neural.bench_gpu")
    ap.add_argument("--config", default="full", help="a configs/*.json name for the training step")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.steps < 1:
        ap.error("--steps must be ≥ 1")
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out: dict = {"device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", "torch": torch.__version__}
    print(f"device: {out['device']}, torch {out['torch']}")
    torch.backends.cudnn.benchmark = True

    cfg = TrainConfig.load(a.config)
    g = Generator(cfg.net).to(dev).eval()
    psi = torch.zeros(1, g.psi_dim, device=dev)
    for s in (64, 256):
        lm = torch.rand(1, cfg.net.lm_ch, s, s, device=dev)
        warp = torch.rand(1, cfg.net.warp_ch, s, s, device=dev)
        gflop = count_flops(g, lm, psi, warp)["total"] / 1e9
        for dtype in ("fp32", "bf16"):
            def fwd():
                with torch.no_grad(), torch.autocast(dev.type, torch.bfloat16, enabled=dtype == "bf16"):
                    g(lm, psi, warp)
            ms = timed(fwd, a.steps * 5, dev)
            out[f"g_{s}_{dtype}_ms"] = ms
            print(f"G forward {s}×{s} batch 1 {dtype}: {ms:.2f} ms ({gflop:.3f} GFLOP)")

    n_ids = 30
    with tempfile.TemporaryDirectory() as tmp:
        tr = Trainer(cfg, Path(tmp), [f"id{i}" for i in range(n_ids)], [], sampler=object())
        for m in (tr.G, tr.E, tr.D):
            m.to(dev)  # in place: the optimisers keep the same parameters
        batch = random_batch(cfg, n_ids, dev)
        ms = timed(lambda: tr.train_step(batch), a.steps, dev)
    hours = ms * cfg.steps / 1000 / 3600
    out.update({"config": cfg.name, "size": cfg.size, "batch": cfg.batch, "k": cfg.k_max, "train_step_ms": ms,
                "config_steps": cfg.steps, "config_hours": hours})
    print(f"{cfg.name} config training step (E+G+D, batch {cfg.batch}, K={cfg.k_max}, {cfg.size} px): {ms:.1f} ms "
          f"→ {cfg.steps} steps ≈ {hours:.1f} h (data loading not included)")
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
