"""Landmark-image rasteriser: colour-coded face-part polylines (Zakharov et al. 2019, sec. 3.1).

MediaPipe FaceMesh (478 points) indices; each part is a polyline (closed when `closed`) drawn in
its own colour on black. The TypeScript receiver must draw exactly these parts, in this order,
with these colours and the line width from `line_width(size)` (documented in EXPORT.md).
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

# (name, indices, closed, RGB colour). Draw order = list order (later parts overwrite).
PARTS: list[tuple[str, list[int], bool, tuple[int, int, int]]] = [
    ("face_oval", [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
                   152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109],
     True, (255, 255, 255)),
    ("right_brow", [46, 53, 52, 65, 55, 107, 66, 105, 63, 70], True, (255, 128, 0)),
    ("left_brow", [276, 283, 282, 295, 285, 336, 296, 334, 293, 300], True, (255, 255, 0)),
    ("nose_bridge", [168, 6, 197, 195, 5, 4, 1, 19, 94, 2], False, (0, 0, 255)),
    ("nostrils", [98, 97, 2, 326, 327], False, (0, 128, 255)),
    ("right_eye", [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246], True, (0, 255, 0)),
    ("left_eye", [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466], True, (0, 255, 128)),
    ("right_iris", [469, 470, 471, 472], True, (128, 255, 0)),
    ("left_iris", [474, 475, 476, 477], True, (0, 255, 255)),
    ("outer_lips", [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185],
     True, (255, 0, 0)),
    ("inner_lips", [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191],
     True, (255, 0, 255)),
]


def line_width(size: int) -> int:
    """Polyline width in pixels for a square image of `size` pixels (1 px at 64, 2 at 128, 4 at 256)."""
    return max(1, round(size / 64))


def rasterise(points_px: np.ndarray, size: int) -> np.ndarray:
    """Draw the parts of one face. `points_px` is (478, >=2) in pixel coords of a size×size image.

    Returns uint8 (size, size, 3) RGB.
    """
    img = Image.new("RGB", (size, size))
    draw = ImageDraw.Draw(img)
    w = line_width(size)
    for _, idx, closed, colour in PARTS:
        pts = [(float(points_px[i, 0]), float(points_px[i, 1])) for i in idx]
        if closed:
            pts.append(pts[0])
        draw.line(pts, fill=colour, width=w, joint="curve" if w > 2 else None)
    return np.asarray(img, dtype=np.uint8)
