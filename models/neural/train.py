"""Meta-learning training loop: `npm run train -- [--config tiny|full|path.json] [--resume]`.

Writes under models/runs/<name>/: ckpt.pt (resumable: nets, optimisers, step, sampler RNG),
losses.csv, val.csv, losses.png, samples/step_XXXXXXX.png, export/ (tfjs weights at the end).
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from . import losses as L
from .episodes import EpisodeSampler, fixed_episodes, load_split
from .nets import MAX_LOWPASS_SIGMA, Discriminator, Embedder, Generator, NetConfig, composite

MODELS_DIR = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(__file__).resolve().parent / "configs"


@dataclass
class TrainConfig:
    name: str = "tiny"
    size: int = 64
    batch: int = 8
    k_min: int = 1
    k_max: int = 8
    steps: int = 20000
    max_minutes: float = 0.0          # stop (with checkpoint) after this much wall time; 0 = no limit
    threads: int = 1
    seed: int = 0
    lr_g: float = 2e-4                # G and E (and P) together
    lr_d: float = 2e-4
    betas: tuple = (0.5, 0.999)
    w_l1: float = 20.0
    w_ssim: float = 5.0
    w_fm: float = 10.0
    w_adv: float = 1.0
    w_mch: float = 10.0
    w_mask: float = 0.0               # refiner: L1 on the blend mask (keeps G out where the warp is right)
    ref_gap: float = 0.0              # references at least this fraction of the clip away from the target
    aug_colour: float = 0.0           # per-episode colour jitter: RGB gains in 1 ± a, offsets in ± a/2 ([-1, 1] units)
    log_every: int = 10
    val_every: int = 500
    ckpt_every: int = 250
    sample_every: int = 500
    net: NetConfig = field(default_factory=NetConfig)

    @staticmethod
    def load(path_or_name: str) -> "TrainConfig":
        import os
        p = Path(path_or_name)
        if not p.is_absolute() and not p.exists() and os.environ.get("INIT_CWD"):
            p = Path(os.environ["INIT_CWD"]) / path_or_name  # `npm run train` runs from models/
        if not p.exists():
            p = CONFIG_DIR / f"{path_or_name}.json"
        d = json.loads(p.read_text())
        net = NetConfig(**d.pop("net", {}))
        if net.lowpass and not (net.residual and 0 < net.lowpass <= MAX_LOWPASS_SIGMA):
            raise ValueError(f"{p}: net.lowpass must be a σ in (0, {MAX_LOWPASS_SIGMA}] on a residual refiner, got {net.lowpass}")
        if "betas" in d:
            d["betas"] = tuple(d["betas"])
        return TrainConfig(**d, net=net)


def colour_jitter(b: dict, a: float, gen: torch.Generator) -> dict:
    """One affine colour map per episode (gain 1 ± a, offset ± a/2 per RGB channel) applied alike to
    its references, target and warp render, so that G cannot key its corrections on a training
    person's colouring. The warp is a spatial resampling of photos, so a colour map commutes with it
    (up to clamping)."""
    n = b["frame"].shape[0]
    gain = 1 + a * (2 * torch.rand(n, 3, 1, 1, generator=gen) - 1)
    off = a / 2 * (2 * torch.rand(n, 3, 1, 1, generator=gen) - 1)
    f = lambda x: (x * gain + off).clamp(-1, 1)
    out = {**b, "frame": f(b["frame"]), "ref_frames": (b["ref_frames"] * gain[:, None] + off[:, None]).clamp(-1, 1)}
    if "warp" in b:
        out["warp"] = torch.cat([f(b["warp"][:, :3]), b["warp"][:, 3:]], 1)
    return out


class Trainer:
    def __init__(self, cfg: TrainConfig, run_dir: Path, train_clips, val_clips, cache_dir=None, sampler=None):
        self.cfg, self.run_dir = cfg, run_dir
        torch.manual_seed(cfg.seed)
        self.refine = cfg.net.refine
        self.sampler = sampler or EpisodeSampler(train_clips, cfg.size, cfg.seed, cache_dir, warp=self.refine,
                                                  ref_gap=cfg.ref_gap)
        self.val_clips = val_clips
        self.cache_dir = cache_dir
        self.G, self.E = Generator(cfg.net), Embedder(cfg.net)
        self.D = Discriminator(cfg.net, len(train_clips))
        self.opt_g = torch.optim.Adam(list(self.G.parameters()) + list(self.E.parameters()), cfg.lr_g, betas=cfg.betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), cfg.lr_d, betas=cfg.betas)
        self.step, self.elapsed = 0, 0.0

    # --- one meta-learning step ------------------------------------------------------------
    def train_step(self, b) -> dict[str, float]:
        c = self.cfg
        if c.aug_colour > 0:
            b = colour_jitter(b, c.aug_colour, torch.Generator().manual_seed(c.seed * 1_000_003 + self.step))
        self.G.train(), self.E.train(), self.D.train()
        emb = self.E(b["ref_frames"], b["ref_lms"])
        warp = b.get("warp") if self.refine else None
        rgb, mask = self.G(b["lm"], self.G.adain_params(emb), warp)
        # refiner: the loss is on the composite with the v1 warp render; otherwise G's RGB alone
        fake = composite(rgb, mask, warp[:, :3], self.cfg.net.residual, self.cfg.net.lowpass) if warp is not None else rgb
        l_l1 = L.ms_l1(fake, b["frame"])
        l_ssim = 1 - L.ssim(fake, b["frame"])
        l_mask = mask.mean()
        zero = l_l1.new_zeros(())
        use_d = bool(c.w_adv or c.w_fm or c.w_mch)  # all zero: reconstruction only, D not trained
        if use_d:
            # generator + embedder
            for p in self.D.parameters():
                p.requires_grad_(False)
            s_fake, f_fake = self.D(fake, b["lm"], b["vid"])
            with torch.no_grad():
                _, f_real = self.D(b["frame"], b["lm"], b["vid"])
            l_fm = L.feature_matching(f_fake, f_real)
            l_adv = L.hinge_g(s_fake)
            l_mch = L.embedding_match(emb, self.D.W(b["vid"]))
        else:
            l_fm = l_adv = l_mch = zero
        loss_g = c.w_l1 * l_l1 + c.w_ssim * l_ssim + c.w_fm * l_fm + c.w_adv * l_adv + c.w_mch * l_mch
        if warp is not None and c.w_mask:
            loss_g = loss_g + c.w_mask * l_mask
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        if use_d:
            for p in self.D.parameters():
                p.requires_grad_(True)
            # discriminator (its W_i also pulled towards the detached embedding, as in the paper)
            s_real, _ = self.D(b["frame"], b["lm"], b["vid"])
            s_fake, _ = self.D(fake.detach(), b["lm"], b["vid"])
            l_d = L.hinge_d(s_real, s_fake)
            l_mch_d = L.embedding_match(emb.detach(), self.D.W(b["vid"]))
            self.opt_d.zero_grad(set_to_none=True)
            (l_d + c.w_mch * l_mch_d).backward()
            self.opt_d.step()
        else:
            s_real = s_fake = l_d = zero
        self.step += 1
        return {"loss_g": loss_g.item(), "l1": l_l1.item(), "ssim_loss": l_ssim.item(), "fm": l_fm.item(),
                "adv_g": l_adv.item(), "mch": l_mch.item(), "loss_d": l_d.item(),
                "d_real": s_real.mean().item(), "d_fake": s_fake.mean().item(), "mask": l_mask.item(), "k": b["k"]}

    @torch.no_grad()
    def generate(self, ep, with_mask: bool = False):
        """The frame for a fixed episode: the composite with the warp (refiner) or G's RGB."""
        self.G.eval(), self.E.eval()
        emb = self.E(ep["ref_frames"], ep["ref_lms"])
        warp = ep.get("warp") if self.refine else None
        rgb, mask = self.G(ep["lm"], self.G.adain_params(emb), warp)
        fake = composite(rgb, mask, warp[:, :3], self.cfg.net.residual, self.cfg.net.lowpass) if warp is not None else rgb
        return (fake, mask) if with_mask else fake

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Held-out persons: L1 (on a [0,1] scale) and SSIM of the frame at K=1 and K=8; for the
        refiner also the warp render alone (the baseline) and the mean blend mask."""
        out = {}
        for k in (1, 8):
            l1s, ss, wl1, wss, ms = [], [], [], [], []
            for ep in fixed_episodes(self.val_clips, self.cfg.size, k, cache_dir=self.cache_dir, warp=self.refine):
                fake, mask = self.generate(ep, with_mask=True)
                l1s.append(((fake - ep["frame"]).abs().mean() / 2).item())  # on [0,1] scale
                ss.append(L.ssim(fake, ep["frame"]).item())
                if self.refine:
                    w = ep["warp"][:, :3]
                    wl1.append(((w - ep["frame"]).abs().mean() / 2).item())
                    wss.append(L.ssim(w, ep["frame"]).item())
                    ms.append(mask.mean().item())
            out[f"val_l1_k{k}"] = float(np.mean(l1s))
            out[f"val_ssim_k{k}"] = float(np.mean(ss))
            if self.refine and k == 1:
                out["val_l1_warp"], out["val_ssim_warp"] = float(np.mean(wl1)), float(np.mean(wss))
            if self.refine:
                out[f"val_mask_k{k}"] = float(np.mean(ms))
        return out

    @torch.no_grad()
    def sample_grid(self, path: Path, clips: list[str]):
        """Rows: one per clip (2 targets each); columns: ref (K=8 first), landmarks, generated, real;
        refiner: ref, landmarks, warp alone, composite, blend mask, real."""
        from PIL import Image
        rows = []
        for ep in fixed_episodes(clips, self.cfg.size, 8, targets=2, cache_dir=self.cache_dir, warp=self.refine):
            fake, mask = self.generate(ep, with_mask=True)
            for j in range(2):
                if self.refine:
                    cols = [ep["ref_frames"][j, 0], ep["lm"][j], ep["warp"][j, :3], fake[j],
                            mask[j].expand(3, -1, -1) * 2 - 1, ep["frame"][j]]
                else:
                    cols = [ep["ref_frames"][j, 0], ep["lm"][j], fake[j], ep["frame"][j]]
                rows.append(torch.cat(cols, 2))
        img = ((torch.cat(rows, 1).clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(img).save(path)

    # --- checkpointing ---------------------------------------------------------------------
    def save(self):
        tmp = self.run_dir / "ckpt.pt.tmp"
        torch.save({"G": self.G.state_dict(), "E": self.E.state_dict(), "D": self.D.state_dict(),
                    "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
                    "step": self.step, "elapsed": self.elapsed, "rng": self.sampler.rng_state(),
                    "torch_rng": torch.get_rng_state(), "config": asdict(self.cfg),
                    "train_clips": self.sampler.names, "val_clips": self.val_clips}, tmp)
        tmp.replace(self.run_dir / "ckpt.pt")

    def init_from(self, path: Path):
        """Warm start G, E and D from another run's checkpoint (e.g. the zero-warp `tiny` run).
        For the refiner, G's stem weights on the 4 warp channels are zeroed (they never saw a
        signal) and the mask head is re-initialised shut, so step 0 is still exactly the warp."""
        ck = torch.load(path, weights_only=False)
        self.G.load_state_dict(ck["G"]), self.E.load_state_dict(ck["E"]), self.D.load_state_dict(ck["D"])
        if self.refine:
            with torch.no_grad():
                self.G.stem.weight[:, self.cfg.net.lm_ch:].zero_()
                self.G.out.weight[3].zero_()
                self.G.out.bias[3] = self.cfg.net.mask_bias
                if self.cfg.net.residual:
                    self.G.out.weight[:3].zero_()
                    self.G.out.bias[:3].zero_()
        return ck.get("step", 0)

    def load(self, path: Path):
        ck = torch.load(path, weights_only=False)
        self.G.load_state_dict(ck["G"]), self.E.load_state_dict(ck["E"]), self.D.load_state_dict(ck["D"])
        self.opt_g.load_state_dict(ck["opt_g"]), self.opt_d.load_state_dict(ck["opt_d"])
        self.step, self.elapsed = ck["step"], ck["elapsed"]
        self.sampler.set_rng_state(ck["rng"])
        torch.set_rng_state(ck["torch_rng"])


def _fmt(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def progress(step, total, rate, extra, limit_s=None, elapsed=0.0):
    frac = step / total
    eta = (total - step) / rate if rate > 0 else float("inf")
    if limit_s:
        eta = min(eta, max(0.0, limit_s - elapsed))
    bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
    eta_s = _fmt(eta) if math.isfinite(eta) else "?"
    sys.stderr.write(f"\r[{bar}] {step}/{total} {rate:.2f} it/s ETA {eta_s} {extra}   ")
    sys.stderr.flush()


def plot_losses(csv_path: Path, png_path: Path, keys: list[str] | None = None):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    rows = list(csv.DictReader(csv_path.open()))
    if not rows:
        return
    steps = [int(r["step"]) for r in rows]
    if keys is None:
        keys = ["loss_g", "l1", "ssim_loss", "fm", "adv_g", "mch", "loss_d"]
        if rows[0].get("mask"):
            keys.append("mask")
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2 * len(keys)), sharex=True)
    for ax, k in zip(axes, keys):
        v = np.array([float(r[k]) for r in rows])
        ax.plot(steps, v, lw=0.5, alpha=0.4)
        if len(v) >= 10:
            w = max(1, len(v) // 50)
            ax.plot(steps[w - 1:], np.convolve(v, np.ones(w) / w, "valid"), lw=1.2)
        ax.set_ylabel(k)
    axes[-1].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(png_path, dpi=80)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="npm run train --", description=__doc__)
    ap.add_argument("--config", default="tiny", help="config name in models/neural/configs or a JSON path; "
                    "'mouth': the mouth refiner (neural/mouth.py)")
    ap.add_argument("--resume", action="store_true", help="continue from runs/<name>/ckpt.pt")
    ap.add_argument("--steps", type=int, help="override total steps")
    ap.add_argument("--max-minutes", type=float,
                    help="override the training-time limit (minutes, counted across resumes)")
    ap.add_argument("--runs", default=str(MODELS_DIR / "runs"), help="runs directory")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--init", help="warm start G/E/D from this checkpoint (new runs only), e.g. runs/tiny/ckpt.pt")
    ap.add_argument("--exclude", default="", help="training clips (split.json) left out, comma list — e.g. the mouth refiner's dev clips, "
                    "so that a G trained without them can choose an option on persons it has not seen")
    a = ap.parse_args(argv)
    if a.config == "mouth":  # the mouth refiner has its own loop (neural/mouth.py)
        from . import mouth
        # The shipped recipe (session 17): the correction low-passed (σ = 2), a 15-min cosine budget on one thread.
        return mouth.main(["train", "--run", str(Path(a.runs) / "mouth"), "--lowpass", "2", "--threads", "1", *(["--resume"] if a.resume else []),
                           *(["--steps", str(a.steps)] if a.steps is not None else []),
                           "--minutes", str(a.max_minutes if a.max_minutes is not None else 15),
                           *(["--no-export"] if a.no_export else [])])
    cfg = TrainConfig.load(a.config)
    if a.steps is not None:
        cfg.steps = a.steps
    if a.max_minutes is not None:
        cfg.max_minutes = a.max_minutes
    torch.set_num_threads(cfg.threads)
    # Ctrl-C, SIGINT or SIGTERM: checkpoint, validate and export, then exit (SIGINT works even when
    # the launching shell ignored it, e.g. `nohup … &`).
    import signal

    def _interrupt(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    split = load_split()
    exclude = [c for c in a.exclude.split(",") if c]
    if any(c not in split["train"] for c in exclude):
        sys.exit(f"--exclude takes training clips (split.json), not {[c for c in exclude if c not in split['train']]}")
    split["train"] = [c for c in split["train"] if c not in exclude]
    run_dir = Path(a.runs) / cfg.name
    ckpt = run_dir / "ckpt.pt"
    if ckpt.exists() and not a.resume:
        sys.exit(f"{ckpt} exists: pass --resume to continue it, or remove {run_dir}")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2))
    print(f"train: {cfg.name} size {cfg.size} batch {cfg.batch} K {cfg.k_min}..{cfg.k_max}; "
          f"{len(split['train'])} train clips, {len(split['val'])} val clips; run dir {run_dir}", file=sys.stderr)
    tr = Trainer(cfg, run_dir, split["train"], split["val"])
    if a.resume and ckpt.exists():
        tr.load(ckpt)
        print(f"train: resumed at step {tr.step} ({_fmt(tr.elapsed)} trained)", file=sys.stderr)
    elif a.init:
        p = Path(a.init)
        if not p.exists() and os.environ.get("INIT_CWD"):
            p = Path(os.environ["INIT_CWD"]) / a.init
        if not p.exists():
            p = MODELS_DIR / a.init
        n = tr.init_from(p)
        (run_dir / "init.txt").write_text(f"{p} (step {n})\n")
        print(f"train: warm start from {p} (its step {n})", file=sys.stderr)
    loss_csv, val_csv = run_dir / "losses.csv", run_dir / "val.csv"
    fields = ["step", "elapsed_s", "loss_g", "l1", "ssim_loss", "fm", "adv_g", "mch", "loss_d", "d_real", "d_fake", "mask", "k"]
    new_l = not loss_csv.exists() or tr.step == 0
    lf = loss_csv.open("w" if new_l else "a", newline="")
    lw = csv.DictWriter(lf, fields)
    if new_l:
        lw.writeheader()
    vfields = ["step", "elapsed_s", "val_l1_k1", "val_ssim_k1", "val_l1_k8", "val_ssim_k8"]
    if cfg.net.refine:
        vfields += ["val_l1_warp", "val_ssim_warp", "val_mask_k1", "val_mask_k8"]
    new_v = not val_csv.exists() or tr.step == 0
    vf = val_csv.open("w" if new_v else "a", newline="")
    vw = csv.DictWriter(vf, vfields)
    if new_v:
        vw.writeheader()
    limit_s = cfg.max_minutes * 60 if cfg.max_minutes else None
    session_start, session_steps = time.time(), 0
    acc: dict[str, list[float]] = {}
    sample_clips = split["val"][:4] + split["train"][:2]

    def checkpoint(final=False):
        tr.save()
        lf.flush()
        plot_losses(loss_csv, run_dir / "losses.png")
        if final or tr.step % cfg.sample_every == 0:
            tr.sample_grid(run_dir / "samples" / f"step_{tr.step:07d}.png", sample_clips)

    def validate():
        v = tr.validate()
        vw.writerow({"step": tr.step, "elapsed_s": round(tr.elapsed, 1), **{k: round(x, 5) for k, x in v.items()}})
        vf.flush()
        print(f"\nval @ {tr.step}: " + " ".join(f"{k} {x:.4f}" for k, x in v.items()), file=sys.stderr)

    if tr.step == 0:
        validate()
    try:
        while tr.step < cfg.steps:
            t0 = time.time()
            b = tr.sampler.sample(cfg.batch, cfg.k_min, cfg.k_max)
            m = tr.train_step(b)
            tr.elapsed += time.time() - t0
            session_steps += 1
            for k, v in m.items():
                acc.setdefault(k, []).append(v)
            if tr.step % cfg.log_every == 0:
                row = {k: round(float(np.mean(v)), 5) for k, v in acc.items()}
                lw.writerow({"step": tr.step, "elapsed_s": round(tr.elapsed, 1), **row})
                acc.clear()
                rate = session_steps / (time.time() - session_start)
                progress(tr.step, cfg.steps, rate, f"G {row['loss_g']:.3f} l1 {row['l1']:.3f} D {row['loss_d']:.3f} m {row['mask']:.3f}",
                         limit_s, tr.elapsed)
            if tr.step % cfg.ckpt_every == 0:
                checkpoint()
            if tr.step % cfg.val_every == 0:
                validate()
            if limit_s and tr.elapsed >= limit_s:
                print(f"\ntrain: wall-time limit {cfg.max_minutes} min reached", file=sys.stderr)
                break
    except KeyboardInterrupt:
        print("\ntrain: interrupted, saving checkpoint", file=sys.stderr)
    if acc:  # steps since the last log line
        lw.writerow({"step": tr.step, "elapsed_s": round(tr.elapsed, 1),
                     **{k: round(float(np.mean(v)), 5) for k, v in acc.items()}})
    checkpoint(final=True)
    if tr.step % cfg.val_every:
        validate()
    lf.close(), vf.close()
    print(f"\ntrain: step {tr.step}, {_fmt(tr.elapsed)} trained; {run_dir}", file=sys.stderr)
    if not a.no_export:
        from .export import export_run
        out = export_run(run_dir / "ckpt.pt", run_dir / "export")
        print(f"train: exported tfjs weights to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
