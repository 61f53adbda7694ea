"""face-api's FaceLandmark68Net in PyTorch: a pretrained landmark network for a landmark term in
training (the mouth refiner's `--landmark W`), so that a refined mouth is judged by where a landmark
detector puts its lips, not only by its pixels.

It is deliberately not the network the benchmark's AKD uses (MediaPipe's FaceLandmarker): a term
trained against that network would grade its own exam. face-api's net is a different design
(four dense blocks of depthwise-separable convolutions and one fully connected layer, 68 points of
the iBUG scheme, 112×112 face crops), trained on other data.

Weights: `models/weights/face-landmarks68/` (face-api 1.7.15's `face_landmark_68_model.bin`,
uint8-quantised, MIT; its weights manifest as `model.json`). Golden fixture: face-api's own
landmarks of a face crop (`fixture.{bin,json}`, made in Chromium by
`packages/client/scripts/face-features-fixture.ts --net landmarks68`), checked by
tests/test_landmarks68.py.

    net = Landmarks68.load()
    pts = net(rgb)  # rgb (B,3,112,112) in 0–255 → (B,68,2) in crop pixels (x right, y down)
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights" / "face-landmarks68"
INPUT_SIZE = 112
MEAN_RGB = (122.782, 117.001, 104.298)
# iBUG 68-point scheme: the outer lips 48–59, the inner lips 60–67.
LIPS = tuple(range(48, 68))


def _load_manifest(folder: Path) -> dict[str, torch.Tensor]:
    """The weights of a tfjs weights manifest (uint8-quantised or float32) by name, as float32 tensors in tfjs layout."""
    manifest = json.loads((folder / "model.json").read_text())
    groups = manifest["weightsManifest"] if isinstance(manifest, dict) else manifest
    out: dict[str, torch.Tensor] = {}
    for group in groups:
        buf = b"".join((folder / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q:
                if q["dtype"] != "uint8":
                    raise ValueError(f"{folder}: {w['name']}: quantisation {q['dtype']} not supported")
                raw = np.frombuffer(buf, np.uint8, n, off).astype(np.float32)
                arr = raw * np.float32(q["scale"]) + np.float32(q["min"])
                off += n
            else:
                if w["dtype"] != "float32":
                    raise ValueError(f"{folder}: {w['name']}: dtype {w['dtype']} not supported")
                arr = np.frombuffer(buf, np.float32, n, off).copy()
                off += 4 * n
            out[w["name"]] = torch.from_numpy(arr.reshape(w["shape"]))
        if off != len(buf):
            raise ValueError(f"{folder}: weights use {off} of {len(buf)} bytes")
    return out


def _pad_same(x: torch.Tensor, stride: int) -> torch.Tensor:
    """TensorFlow's 'same' padding of a 3×3 window (stride 2 on an even size pads only right and bottom)."""
    if stride == 1:
        return F.pad(x, (1, 1, 1, 1))
    h, w = x.shape[-2:]
    ph = max((-(-h // 2) - 1) * 2 + 3 - h, 0)
    pw = max((-(-w // 2) - 1) * 2 + 3 - w, 0)
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))


class _SepConv(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.stride = stride
        self.depthwise = nn.Conv2d(cin, cin, 3, stride, 0, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(_pad_same(x, self.stride)))


class _DenseBlock4(nn.Module):
    def __init__(self, cin: int, cout: int, first: bool):
        super().__init__()
        self.first = first
        self.conv0 = nn.Conv2d(cin, cout, 3, 2, 0) if first else _SepConv(cin, cout, 2)
        self.conv1, self.conv2, self.conv3 = (_SepConv(cout, cout, 1) for _ in range(3))

    def forward(self, x):
        out1 = F.relu(self.conv0(_pad_same(x, 2)) if self.first else self.conv0(x))
        out2 = self.conv1(out1)
        out3 = self.conv2(F.relu(out1 + out2))
        out4 = self.conv3(F.relu(out1 + out2 + out3))
        return F.relu(out1 + out2 + out3 + out4)


class Landmarks68(nn.Module):
    """(B,3,112,112) RGB in 0–255 → (B,68,2) landmark positions in crop pixels (0..112)."""

    def __init__(self):
        super().__init__()
        self.dense = nn.ModuleList([_DenseBlock4(3, 32, True), _DenseBlock4(32, 64, False),
                                    _DenseBlock4(64, 128, False), _DenseBlock4(128, 256, False)])
        self.fc = nn.Linear(256, 136)
        self.register_buffer("mean", torch.tensor(MEAN_RGB).view(1, 3, 1, 1))

    def forward(self, rgb: torch.Tensor) -> torch.Tensor:
        if rgb.shape[1:] != (3, INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"Landmarks68 wants (B,3,{INPUT_SIZE},{INPUT_SIZE}) RGB, got {tuple(rgb.shape)}")
        x = (rgb - self.mean) / 255
        for block in self.dense:
            x = block(x)
        x = F.avg_pool2d(x, 7, 2).flatten(1)
        return self.fc(x).view(-1, 68, 2) * INPUT_SIZE

    @classmethod
    def load(cls, folder: Path = WEIGHTS_DIR) -> "Landmarks68":
        """The network with face-api's weights, in eval mode, its parameters frozen."""
        w = _load_manifest(folder)
        net = cls()
        with torch.no_grad():
            for i, block in enumerate(net.dense):
                p = f"dense{i}/"
                if block.first:
                    block.conv0.weight.copy_(w[p + "conv0/filters"].permute(3, 2, 0, 1))
                    block.conv0.bias.copy_(w[p + "conv0/bias"])
                for j in range(0 if not block.first else 1, 4):
                    conv: _SepConv = getattr(block, f"conv{j}")
                    q = f"{p}conv{j}/"
                    conv.depthwise.weight.copy_(w[q + "depthwise_filter"].permute(2, 3, 0, 1))
                    conv.pointwise.weight.copy_(w[q + "pointwise_filter"].permute(3, 2, 0, 1))
                    conv.pointwise.bias.copy_(w[q + "bias"])
            net.fc.weight.copy_(w["fc/weights"].t())
            net.fc.bias.copy_(w["fc/bias"])
        for p in net.parameters():
            p.requires_grad_(False)
        return net.eval()
