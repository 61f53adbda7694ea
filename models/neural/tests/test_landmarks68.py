"""face-api's 68-point landmark network in PyTorch (neural/landmarks68.py): the committed weights
reproduce face-api's own landmarks of the fixture crop, and the network refuses other input sizes."""
import json

import numpy as np
import pytest
import torch

from neural.landmarks68 import INPUT_SIZE, LIPS, WEIGHTS_DIR, Landmarks68


def _fixture():
    ref = json.loads((WEIGHTS_DIR / "fixture.json").read_text())
    rgb = np.frombuffer((WEIGHTS_DIR / "fixture.bin").read_bytes(), np.uint8).reshape(INPUT_SIZE, INPUT_SIZE, 3)
    return torch.from_numpy(rgb.copy()).permute(2, 0, 1)[None].float(), torch.tensor(ref["landmarks"]).view(68, 2)


def test_reproduces_face_api_on_the_fixture():
    rgb, want = _fixture()
    got = Landmarks68.load()(rgb)[0]
    assert got.shape == (68, 2)
    # face-api's cpu backend and PyTorch sum in different orders: within 1e-3 of a crop pixel.
    assert (got - want).abs().max().item() < 1e-3
    # A face: the lips lie below the eyes (iBUG 36–47) and inside the jaw line's x range (0–16).
    assert got[list(LIPS), 1].min() > got[36:48, 1].max()
    assert got[0:17, 0].min() < got[list(LIPS), 0].min() and got[list(LIPS), 0].max() < got[0:17, 0].max()


def test_follows_the_face_and_passes_gradients():
    rgb, _ = _fixture()
    net = Landmarks68.load()
    shifted = torch.roll(rgb, shifts=6, dims=-1)  # the face 6 px to the right
    a, b = net(rgb)[0], net(shifted)[0]
    dx = (b - a)[list(LIPS), 0].mean().item()
    assert 4 < dx < 8
    x = rgb.clone().requires_grad_(True)
    net(x)[0, list(LIPS)].sum().backward()
    assert x.grad.abs().sum() > 0 and all(not p.requires_grad for p in net.parameters())


def test_refuses_other_sizes():
    with pytest.raises(ValueError, match="112"):
        Landmarks68.load()(torch.zeros(1, 3, 96, 96))
