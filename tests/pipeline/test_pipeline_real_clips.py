"""scan_video on real footage: OpenCV's own sample clips (Debian opencv-doc, fetched by `make samples`).

The street clip's hand counts below were made by looking at the frames: `all` is every person
visible at that instant; `small_or_hidden` those under about 70 px tall (the detector's floor is
80 px, see README "Detection rules") or more than half hidden behind someone or something. A
count is right when it lies between all - small_or_hidden - 1 and all + 1.
"""

from __future__ import annotations

import json

import pytest

from pipeline import sample_clips
from pipeline.scan_video import Detectors, Scanner, analyse
from pipeline.storage import Storage
from pipeline.summarize_scene import activity, builtin_text, counts, tags

pytestmark = pytest.mark.skipif(sample_clips.source("vtest.avi") is None,
                                reason="opencv-doc sample clips absent: run `make samples`")

SAMPLE_FPS = 2.0
# vtest.avi (768x576, 10 fps): sample time (s) -> (all people visible, of them small or hidden).
STREET_HAND_COUNTS = {
    5.0: (6, 1),     # a group of three by the sign (one behind it), a couple, a man on the right
    15.0: (8, 5),    # three ~65 px far right, one ~40 px far left, one hidden behind the sign group
    30.0: (6, 0),    # five ~75 px on the far path, one ~82 px crossing
    42.0: (3, 2),    # one ~85 px; one ~63 px far; one cut by the right edge
    56.0: (6, 2),    # one ~65 px far left; a couple on the grass, the man half behind the woman
    70.0: (8, 2),    # two far ones under 65 px
    78.0: (8, 3),    # one tiny by the cars, one ~62 px far, one half behind another
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clips")
    return {name: sample_clips.clip(name, folder) for name in sample_clips.CLIPS}


@pytest.fixture(scope="module")
def analysed(clips):
    detectors = Detectors.load()
    return {name: analyse(clips[name], SAMPLE_FPS, detectors)
            for name in ("vtest.avi", "tree.avi", "Megamind.avi", "box.mp4")}


def test_street_pedestrians_are_counted_within_the_hand_count(analysed):
    samples = {s["t"]: s["people"] for s in analysed["vtest.avi"]["samples"]}
    found = {t: samples[t] for t in STREET_HAND_COUNTS}
    for t, (everyone, small_or_hidden) in STREET_HAND_COUNTS.items():
        assert everyone - small_or_hidden - 1 <= found[t] <= everyone + 1, (t, found[t], everyone, found)
    # Most of the people in the detector's size range are found, and never more than are there.
    in_range = sum(a - s for a, s in STREET_HAND_COUNTS.values())
    assert sum(found.values()) >= 0.8 * in_range, found
    assert sum(found.values()) <= sum(a for a, _ in STREET_HAND_COUNTS.values()), found


def test_street_people_are_seen_in_almost_every_sample(analysed):
    # 3 to 8 pedestrians are in view throughout the clip.
    people = [s["people"] for s in analysed["vtest.avi"]["samples"]]
    assert sum(1 for n in people if n) >= 0.95 * len(people), people
    assert 5 <= max(people) <= 9


def test_nobody_is_found_in_a_tree_in_wind(analysed):
    tree = analysed["tree.avi"]
    assert tree["people_max"] == 0 and tree["faces_max"] == 0, tree["samples"]
    assert tree["motion_ratio"] > 0.01                       # the tree does move
    assert activity(tree) == "none" and "people" not in tags(tree)


def test_an_object_held_in_a_hand_is_no_person(analysed):
    # box.mp4: hands turning a printed box in front of the camera, the rest of the body out of view.
    assert analysed["box.mp4"]["people_max"] == 0, analysed["box.mp4"]["samples"]


def test_durations_come_from_the_container_timestamps(analysed):
    # tree.avi: 444 frame entries at 15 fps, 376 of them empty (repeats), so 68 decoded frames.
    assert analysed["tree.avi"]["frame_count"] == 68
    assert analysed["tree.avi"]["duration_seconds"] == pytest.approx(29.6, abs=0.05)
    assert analysed["vtest.avi"]["duration_seconds"] == pytest.approx(79.5, abs=0.05)
    assert analysed["Megamind.avi"]["duration_seconds"] == pytest.approx(270 / 23.976, abs=0.05)
    assert analysed["box.mp4"]["duration_seconds"] == pytest.approx(15.18, abs=0.05)     # h264, B-frames
    # Samples follow the clock, not the frame count: at most one in each 0.5 s of video, and the
    # 15 fps entries of the tree clip (mostly repeats) do not make it look 4.5 s long.
    slots = [int(s["t"] / 0.5 + 1e-6) for s in analysed["tree.avi"]["samples"]]
    assert slots == sorted(set(slots)) and slots[-1] == 59


def test_faces_are_not_counted_twice(analysed):
    # The trailer shows at most two faces at once (the woman, a diner behind her).
    mega = analysed["Megamind.avi"]
    assert 1 <= mega["faces_max"] <= 2, mega["samples"]
    assert sum(1 for s in mega["samples"] if s["faces"]) >= len(mega["samples"]) // 2


def test_summaries_agree_with_the_counts_and_activity_levels_differ(analysed):
    levels = {name: activity(a) for name, a in analysed.items()}
    assert levels["vtest.avi"] == "high" and levels["tree.avi"] == "none" and levels["Megamind.avi"] == "low"
    for name, a in analysed.items():
        most, faces, _ = counts(a)
        text = builtin_text(a)
        assert faces <= most, name
        if most == 0:
            assert "no one in view" in text and "fac" not in text, text
        else:
            assert ("1 person" if most == 1 else f"up to {most} people") in text, text


@pytest.mark.parametrize("clip, keep", [("box.mp4", 100_000), ("vtest.avi", 1_000_000), ("tree.avi", 600_000)])
def test_a_truncated_clip_is_filed_as_truncated(clips, tmp_path, clip, keep):
    storage = Storage(tmp_path).ensure()
    cut = storage.processing / f"cut-{clip}"
    cut.write_bytes(clips[clip].read_bytes()[:keep])
    answer = Scanner(storage, SAMPLE_FPS).scan("0" * 24, cut)
    assert answer["status"] == "corrupted" and answer["reason"] == "truncated", answer
    assert not any(storage.analytics.iterdir())


def test_the_damaged_clip_is_scanned_to_its_end(clips, tmp_path):
    storage = Storage(tmp_path).ensure()
    answer = Scanner(storage, SAMPLE_FPS).scan("1" * 24, clips["Megamind_bugy.avi"])
    assert answer["status"] == "ok", answer
    doc = json.loads(storage.analytic_path("1" * 24).read_text())
    assert doc["duration_seconds"] == pytest.approx(9.0, abs=0.05) and doc["faces_max"] >= 1
