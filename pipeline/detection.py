"""People and faces in one sampled frame: motion-gated HOG and Haar, with non-maximum suppression.

The rules (README "Detection rules" says the same for users):
  * frames are analysed at their own resolution; sizes below are fractions of the frame height so
    a 1080p camera and a 576-line one see the same scene the same way;
  * a person is searched for where the picture moves (MOG2 background subtraction on a small copy),
    and in the whole frame on the first sample and every FULL_SCAN_SECONDS of video, so people who
    stand still are seen too, and around the people of the previous sample, so someone who stops
    stays counted; regions are upscaled so that a person MIN_PERSON_FRACTION of the
    frame high (80 px at 576 lines, never under MIN_PERSON_PX) fills HOG's 64x128 window;
  * a HOG window counts as a person when its SVM score is at least PERSON_MIN_SCORE; overlapping
    boxes are merged (greedy non-maximum suppression, the higher score wins), and a box that
    contains two or more other boxes is dropped as one spanning a group; a box overlapped by a
    face wider than half of it is a close-up head (hair, a cheek), not a body;
  * a person counts in a sample only when a box of about the same size lies near it in the sample
    before or after (CONFIRM_PERIOD_SECONDS apart at most): a pedestrian stays in view, a HOG
    false alarm on a bottle or a box edge does not;
  * a face is a frontal Haar detection of at least MIN_FACE_FRACTION of the frame height, found
    with FACE_MIN_NEIGHBORS neighbours; nested and overlapping face boxes are merged likewise.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_PERSON_FRACTION = 80 / 576   # smallest person searched: 80 px tall in a 576-line frame
MIN_PERSON_PX = 64               # ... and never under 64 px: smaller ones are too blurred to tell, and costly
MAX_PERSON_FRACTION = 0.95       # a box taller than this is the frame, not a person
HOG_PERSON_PX = 120              # regions are upscaled so the smallest person is this tall for HOG's 64x128 window
HOG_SCALE = 1.1                  # pyramid step
PERSON_MIN_SCORE = 0.8           # SVM margin; weaker windows are foliage, poles and shadows
FULL_SCAN_SECONDS = 30.0         # whole-frame search period, for people who never moved since the last
MOTION_WIDTH = 160               # motion needs no detail: background subtraction on a small copy
MOTION_MIN_FRACTION = 0.002      # share of the image in motion that counts as "motion"
ROI_FULL_FRAME = 0.5             # moving regions covering more than this: search the whole frame
CONFIRM_PERIOD_SECONDS = 1.0     # samples further apart are not compared (a walker moves too far)
MIN_FACE_FRACTION = 1 / 12       # smallest face searched: 48 px at 576 lines ("close to the camera")
HAAR_FACE_PX = 24                # the cascade's own window: faces are searched on a copy scaled to it
FACE_MIN_NEIGHBORS = 5
NMS_OVERLAP = 0.4                # intersection over the smaller box above which two boxes are one


@dataclass
class Sample:
    motion: float
    people: list          # [(x, y, w, h, score)] in frame pixels
    faces: list           # [(x, y, w, h)]


def nms(boxes: list, overlap: float = NMS_OVERLAP) -> list:
    """Greedy non-maximum suppression on (x, y, w, h, score...): the best box of an overlapping group."""
    kept: list = []
    for box in sorted(boxes, key=lambda b: (-(b[4] if len(b) > 4 else b[2] * b[3]))):
        if all(_overlap(box, k) <= overlap for k in kept):
            kept.append(box)
    return kept


def _overlap(a, b) -> float:
    """Intersection over the smaller area: a box nested in another counts as the same object."""
    iw = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    ih = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    return iw * ih / min(a[2] * a[3], b[2] * b[3])


def drop_spanning(boxes: list) -> list:
    """Remove a box that holds the centres of two or more smaller boxes: it frames a group."""
    out = []
    for box in boxes:
        inside = sum(1 for o in boxes if o is not box and o[3] < box[3] and _centre_in(o, box))
        if inside < 2:
            out.append(box)
    return out


def _centre_in(inner, outer) -> bool:
    cx, cy = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= cx <= outer[0] + outer[2] and outer[1] <= cy <= outer[1] + outer[3]


def _close_up(face, person) -> bool:
    """A face wider than half a person box inside it: the box is a close-up head (hair, a cheek), not a body."""
    return face[2] > 0.5 * person[2] and _overlap(face, person) > 0.5


def merge_regions(boxes: list) -> list:
    """Union overlapping (x, y, w, h) regions when the union costs no more area than the two apart."""
    boxes = [tuple(b) for b in boxes]
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                a, b = boxes[i], boxes[j]
                x0, y0 = min(a[0], b[0]), min(a[1], b[1])
                x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
                if (x1 - x0) * (y1 - y0) <= a[2] * a[3] + b[2] * b[3]:
                    boxes[i] = (x0, y0, x1 - x0, y1 - y0)
                    del boxes[j]
                    merged = True
                    break
            if merged:
                break
    return boxes


def _near(box, other) -> bool:
    """`other` could be `box`'s person one sample later: a similar height, within about a stride."""
    h = box[3]
    return (0.7 < other[3] / h < 1.4 and abs(box[0] + box[2] / 2 - other[0] - other[2] / 2) < 0.6 * h
            and abs(box[1] + box[3] / 2 - other[1] - other[3] / 2) < 0.5 * h)


def confirmed_counts(people: list, times: list, period: float) -> list[int]:
    """People per sample, each box confirmed by a neighbouring sample (all boxes when samples are sparse)."""
    if period > CONFIRM_PERIOD_SECONDS or len(people) < 2:
        return [len(p) for p in people]
    out = []
    for i, boxes in enumerate(people):
        around = [o for j in (i - 1, i + 1) if 0 <= j < len(people) and abs(times[j] - times[i]) <= 2 * period
                  for o in people[j]]
        out.append(sum(1 for b in boxes if any(_near(b, o) for o in around)))
    return out


class FrameDetector:
    """Stateful per video: the motion model learns the background from the samples it is given."""

    def __init__(self, width: int, height: int, hog: cv2.HOGDescriptor, faces: cv2.CascadeClassifier):
        self.width, self.height = width, height
        self.hog, self.faces = hog, faces
        self.min_person = max(MIN_PERSON_FRACTION * height, MIN_PERSON_PX)
        self.scale = HOG_PERSON_PX / self.min_person          # > 1 upscales small frames' regions
        self.small_w = min(MOTION_WIDTH, width)
        self.small_h = max(1, round(height * self.small_w / width))
        self.subtractor = cv2.createBackgroundSubtractorMOG2(history=120, varThreshold=25, detectShadows=False)
        self.kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.last_full = None
        self.previous: list = []       # last sample's people: searched again, so a person who stops stays seen
        self.face_scale = min(1.0, HAAR_FACE_PX / (MIN_FACE_FRACTION * height))

    def regions(self, fg: np.ndarray) -> list:
        """Moving regions in frame pixels, padded so a person partly in motion is searched whole."""
        mask = cv2.morphologyEx(fg, cv2.MORPH_OPEN, self.kernel)
        mask = cv2.dilate(mask, self.kernel, iterations=2)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        k = self.width / self.small_w
        min_area = (self.min_person / k) ** 2 * 0.02        # a blob smaller than a hand is noise
        out = []
        pad_x, pad_y = 0.35 * self.min_person, 0.5 * self.min_person
        for x, y, w, h, area in stats[1:count]:
            if area < min_area:
                continue
            x0, y0 = max(0, x * k - pad_x), max(0, y * k - pad_y)
            x1, y1 = min(self.width, (x + w) * k + pad_x), min(self.height, (y + h) * k + pad_y)
            out.append((int(x0), int(y0), int(x1 - x0), int(y1 - y0)))
        return merge_regions(out)

    def people_in(self, frame: np.ndarray, region) -> list:
        x, y, w, h = region
        # HOG needs the region to hold its window once upscaled.
        if w * self.scale < 64 + 16 or h * self.scale < 128 + 16:
            return []
        crop = frame[y:y + h, x:x + w]
        if self.scale != 1.0:
            crop = cv2.resize(crop, (round(w * self.scale), round(h * self.scale)), interpolation=cv2.INTER_LINEAR)
        rects, scores = self.hog.detectMultiScale(crop, hitThreshold=0, winStride=(8, 8), padding=(8, 8),
                                                  scale=HOG_SCALE, groupThreshold=1)
        out = []
        for (rx, ry, rw, rh), score in zip(rects, np.ravel(scores) if len(rects) else (), strict=True):
            if score < PERSON_MIN_SCORE or rh / self.scale > MAX_PERSON_FRACTION * self.height:
                continue
            out.append((x + rx / self.scale, y + ry / self.scale, rw / self.scale, rh / self.scale, float(score)))
        return out

    def faces_in(self, gray: np.ndarray, region) -> list:
        x, y, w, h = region
        k = self.face_scale
        crop = gray[y:y + h, x:x + w]
        if k != 1.0:
            crop = cv2.resize(crop, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA)
        side = max(HAAR_FACE_PX, round(MIN_FACE_FRACTION * self.height * k))
        if crop.shape[0] < side or crop.shape[1] < side:
            return []
        found = self.faces.detectMultiScale(crop, scaleFactor=1.15, minNeighbors=FACE_MIN_NEIGHBORS,
                                            minSize=(side, side))
        return [(x + fx / k, y + fy / k, fw / k, fh / k) for fx, fy, fw, fh in found]

    def detect(self, frame: np.ndarray, t: float) -> Sample:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        small = cv2.resize(gray, (self.small_w, self.small_h), interpolation=cv2.INTER_AREA)
        fg = self.subtractor.apply(small)
        first = self.last_full is None
        motion = 0.0 if first else float(np.count_nonzero(fg)) / fg.size   # the first frame has no history
        whole = (0, 0, self.width, self.height)
        if first or t - self.last_full >= FULL_SCAN_SECONDS:
            regions = [whole]
            self.last_full = t
        else:
            regions = self.regions(fg) if motion >= MOTION_MIN_FRACTION / 4 else []
            regions = merge_regions(regions + [self.around(p) for p in self.previous])
            if sum(w * h for _, _, w, h in regions) > ROI_FULL_FRAME * self.width * self.height:
                regions = [whole]
        people, faces = [], []
        for region in regions:
            people += self.people_in(frame, region)
            faces += self.faces_in(gray, region)
        faces = nms(faces)
        people = [p for p in drop_spanning(nms(people)) if not any(_close_up(f, p) for f in faces)]
        self.previous = people
        return Sample(motion, people, faces)

    def around(self, box) -> tuple:
        """A person's box with room to have moved between two samples."""
        x, y, w, h = box[:4]
        x0, y0 = max(0, x - 0.5 * w), max(0, y - 0.15 * h)
        x1, y1 = min(self.width, x + 1.5 * w), min(self.height, y + 1.15 * h)
        return (int(x0), int(y0), int(x1 - x0), int(y1 - y0))
