"""Frames of the simulated DVR: a street scene with people walking by and a face close to the camera.

The figures are drawn, not downloaded: dark silhouettes in the proportions OpenCV's HOG people
detector was trained on, and a shaded face with the eye/brow/nose contrast the Haar frontal-face
cascade looks for. tests/pipeline checks that both detectors really fire on these frames.
"""

from __future__ import annotations

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 360


def _person_mask(height: int, stride: float) -> np.ndarray:
    width = height // 2
    mask = np.zeros((height, width), np.uint8)
    cx, u = width // 2, height / 100
    cv2.circle(mask, (cx, int(12 * u)), int(7 * u), 255, -1)
    cv2.rectangle(mask, (cx - int(3 * u), int(18 * u)), (cx + int(3 * u), int(22 * u)), 255, -1)
    torso = np.array([[cx - int(11 * u), int(22 * u)], [cx + int(11 * u), int(22 * u)],
                      [cx + int(9 * u), int(55 * u)], [cx - int(9 * u), int(55 * u)]])
    cv2.fillPoly(mask, [torso], 255)
    for side in (-1, 1):
        cv2.line(mask, (cx + side * int(11 * u), int(24 * u)), (cx + side * int(14 * u), int(52 * u)), 255,
                 max(1, int(5 * u)))
        cv2.line(mask, (cx + side * int(5 * u), int(55 * u)),
                 (cx + side * int((6 + stride * 6) * u), int(96 * u)), 255, max(1, int(7 * u)))
    return mask


def _face(size: int) -> np.ndarray:
    s = size
    img = np.full((s, s), 170, np.uint8)
    cv2.ellipse(img, (s // 2, s // 2), (int(s * 0.36), int(s * 0.46)), 0, 0, 360, 200, -1)
    for x in (0.33, 0.67):
        cv2.ellipse(img, (int(s * x), int(s * 0.36)), (int(s * 0.11), int(s * 0.03)), 0, 0, 360, 60, -1)
        cv2.ellipse(img, (int(s * x), int(s * 0.43)), (int(s * 0.08), int(s * 0.04)), 0, 0, 360, 40, -1)
    cv2.ellipse(img, (s // 2, int(s * 0.58)), (int(s * 0.05), int(s * 0.08)), 0, 0, 360, 215, -1)
    cv2.ellipse(img, (s // 2, int(s * 0.74)), (int(s * 0.14), int(s * 0.04)), 0, 0, 360, 70, -1)
    cv2.ellipse(img, (s // 2, int(s * 0.12)), (int(s * 0.38), int(s * 0.14)), 0, 0, 360, 30, -1)
    return cv2.GaussianBlur(img, (0, 0), s / 60)


class Scene:
    """Frame n of an endless scene: a scene lasts `scene_frames`, then the next one starts.

    Scenes rotate through: one walker, two walkers and a face, an empty street (no detections).
    """

    def __init__(self, width: int = WIDTH, height: int = HEIGHT, fps: float = 10.0, scene_seconds: float = 6.0,
                 seed: int = 7):
        self.width, self.height, self.fps = width, height, fps
        self.scene_frames = max(1, int(scene_seconds * fps))
        rng = np.random.default_rng(seed)
        ys, xs = np.mgrid[0:height, 0:width]
        base = 140 + 30 * (ys / height) + 10 * np.sin(xs / 37.0)
        self.background = np.dstack([base, base + 8, base + 16]).clip(0, 255).astype(np.uint8)
        self.noise = [rng.normal(0, 5, (height, width, 3)).astype(np.int16) for _ in range(4)]
        self.person_height = int(height * 0.45)
        self.face = _face(int(height * 0.28))
        self.masks = [_person_mask(self.person_height, s) for s in (0.0, 0.5, 1.0, 0.5)]

    def kind(self, n: int) -> int:
        return (n // self.scene_frames) % 3

    def frame(self, n: int) -> np.ndarray:
        img = self.background.copy()
        kind, t = self.kind(n), (n % self.scene_frames) / self.scene_frames
        step = self.masks[(n // 2) % len(self.masks)]
        walkers = {0: [(0.1 + 0.6 * t, 0.25)], 1: [(0.75 - 0.5 * t, 0.3), (0.15 + 0.2 * t, 0.2)], 2: []}[kind]
        for fx, fy in walkers:
            x, y = int(fx * self.width), int(fy * self.height)
            h, w = step.shape
            roi = img[y:y + h, x:x + w]
            m = step[: roi.shape[0], : roi.shape[1]] > 0
            roi[m] = (50, 40, 60)
        if kind == 1:
            s = self.face.shape[0]
            x, y = int((0.62 + 0.1 * t) * self.width) - s, int(0.15 * self.height)
            img[y:y + s, x:x + s] = cv2.cvtColor(self.face, cv2.COLOR_GRAY2BGR)
        img = (img.astype(np.int16) + self.noise[n % len(self.noise)]).clip(0, 255).astype(np.uint8)
        return img
