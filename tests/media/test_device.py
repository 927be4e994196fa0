"""The phone check on generated clips with each phone's tags and on real recordings."""
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from clips import ANDROID_PIXEL, APPLE_IPHONE, NOKIA_N8, XIAOMI, make_clip
from conftest import SHARED_MEDIA

from contest.media.checks import check_upload
from contest.media.device import check_device, normalize, read_device
from contest.media.probe import MediaRefused, probe

OPEN = datetime(2026, 3, 1, 12, 0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """clip(tags, **make_clip options) -> the probe result of a small silent clip.

    Clips with the same tags and options are made once per module.
    """
    folder, made = tmp_path_factory.mktemp("device"), {}

    def make(tags=None, **options):
        key = json.dumps([tags, options], sort_keys=True)
        if key not in made:
            path = folder / f"clip{len(made)}.mp4"
            made[key] = probe(make_clip(path, tags=tags, seconds=1.2, audio=False, **options))
        return made[key]

    return make


@pytest.fixture
def contest_for(make_contest, clock):
    clock.set(OPEN + timedelta(days=2))

    def make(*phones, **overrides):
        schedule = {"submissions_open_at": OPEN, "submissions_close_at": OPEN + timedelta(28),
                    "voting_open_at": OPEN + timedelta(28),
                    "voting_close_at": OPEN + timedelta(42), "results_at": OPEN + timedelta(49)}
        return make_contest(accepted_phones=list(phones), **{**schedule, **overrides})

    return make


@pytest.mark.parametrize("tags,make,model", [
    (NOKIA_N8, "Nokia", "N8-00"),
    (ANDROID_PIXEL, "Google", "Pixel 8"),
    (APPLE_IPHONE, "Apple", "iPhone 15 Pro"),
    (XIAOMI, "Xiaomi", "Xiaomi 14"),
])
def test_read_device_from_each_kind_of_phone(clip, tags, make, model):
    found_make, found_model, raw = read_device(clip(tags).tags)
    assert (found_make, found_model) == (make, model)
    assert raw == tags


def test_read_device_everywhere_phones_put_it():
    tags = {"make-eng": "Nokia", "video:©mod": "N8-00", "location": "+51.4/"}
    assert read_device(tags) == ("Nokia", "N8-00", {"make-eng": "Nokia", "video:©mod": "N8-00"})
    tags = {"com.android.model": "23127PN0CG", "com.xiaomi.product.marketname": "Xiaomi 14",
            "com.android.manufacturer": "Xiaomi", "com.android.version": "14"}
    assert read_device(tags)[:2] == ("Xiaomi", "Xiaomi 14")
    assert read_device(tags)[2]["com.android.version"] == "14"
    assert read_device({"com.apple.quicktime.camera.lens_model": "back camera"}) == \
        (None, None, {})


@pytest.mark.parametrize("a,b", [
    (("Nokia", "N8-00"), ("NOKIA", "n8-00")),
    (("Nokia", "N8-00"), ("nokia", "Nokia N8")),
    (("Nokia", "N8-00"), (None, "Nokia  N8-00")),
    (("Nokia", "N8-00"), ("HMD Global", "RM-596")),
    (("Apple", "iPhone 15 Pro"), ("Apple Inc.", "iphone15pro")),
    (("Apple", "iPhone 14 Pro"), ("Apple", "iPhone15,2")),
    (("samsung", "Galaxy S23 Ultra"), ("Samsung", "SM-S918B")),
    (("Xiaomi", "14"), ("Xiaomi", "Xiaomi 14")),
    (("Xiaomi", "14"), ("Xiaomi", "23127PN0CG")),
])
def test_normalize_irons_out_spelling(a, b):
    assert normalize(*a) == normalize(*b)


@pytest.mark.parametrize("a,b", [
    (("Nokia", "N8-00"), ("Nokia", "N800")),
    (("Apple", "iPhone 6"), ("Apple", "iPhone 6s")),
    (("Apple", "iPhone 15 Pro"), ("Apple", "iPhone 15 Pro Max")),
    (("Xiaomi", "Redmi Note 12"), (None, "Note 12")),
])
def test_normalize_keeps_different_phones_apart(a, b):
    assert normalize(*a) != normalize(*b)


@pytest.mark.parametrize("tags,phone", [
    (NOKIA_N8, "Nokia N8-00"),
    (NOKIA_N8, "nokia  n8"),
    (ANDROID_PIXEL, "Google Pixel 8"),
    (ANDROID_PIXEL, "GOOGLE pixel8"),
    (APPLE_IPHONE, "Apple iPhone 15 Pro"),
    (XIAOMI, "Xiaomi 14"),
    ({"make": "NOKIA ", "model": "nokia n8"}, "Nokia N8-00"),
    ({"model": "N8-00"}, "Nokia N8-00"),
])
def test_verified(clip, contest_for, tags, phone):
    contest = contest_for(phone)
    check = check_device(clip(tags), contest)
    assert check.verdict == "verified"
    assert check.evidence["matched_phone"] == contest.phones[0].label


def test_contest_aliases(clip, contest_for):
    contest = contest_for({"make": "Google", "model": "Pixel 8 (2023)", "aliases": ["Pixel 8"]})
    assert check_device(clip(ANDROID_PIXEL), contest).verdict == "verified"
    contest = contest_for({"make": "Google", "model": "Pixel 8 (2023)"})
    assert check_device(clip(ANDROID_PIXEL), contest).verdict == "mismatch"


def test_one_of_several_accepted_phones(clip, contest_for):
    contest = contest_for("Nokia N8-00", "Apple iPhone 15 Pro")
    check = check_device(clip(APPLE_IPHONE), contest)
    assert check.verdict == "verified"
    assert check.evidence["matched_phone"] == "Apple iPhone 15 Pro"
    assert check.evidence["accepted_phones"] == ["Nokia N8-00", "Apple iPhone 15 Pro"]


@pytest.mark.parametrize("tags,verdict", [
    (ANDROID_PIXEL, "mismatch"),
    ({"com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15 Pro Max"},
     "mismatch"),
    ({"com.android.manufacturer": "samsung"}, "mismatch"),  # a maker no accepted phone has
    ({"make": "Nokia"}, "unknown"),  # the right maker, but which model?
    ({"com.android.version": "12"}, "unknown"),
    (None, "unknown"),
])
def test_mismatch_and_unknown(clip, contest_for, tags, verdict):
    check = check_device(clip(tags), contest_for("Nokia N8-00", "Apple iPhone 15 Pro"))
    assert check.verdict == verdict and check.evidence["matched_phone"] is None


def test_evidence_records_creation_time_editing_rotation_and_rate(clip, contest_for):
    contest = contest_for("Nokia N8-00")
    inside = clip({**NOKIA_N8, "creation_time": "2026-03-02T08:00:00Z"}, fps=30)
    evidence = check_device(inside, contest).evidence
    assert evidence["creation_time"] == "2026-03-02T08:00:00Z"
    assert evidence["created_in_window"] is True
    assert evidence["window"]["start"] == "2026-02-28T12:00:00"
    assert evidence["rotation"] == 0 and evidence["fps"] == 30.0
    assert evidence["edited"] and {s["editor"] for s in evidence["editor_signs"]} == {"FFmpeg"}
    assert evidence["device_tags"] == NOKIA_N8
    json.dumps(evidence)
    before = clip({**NOKIA_N8, "creation_time": "2025-12-24T08:00:00Z"})
    assert check_device(before, contest).evidence["created_in_window"] is False
    assert check_device(clip(NOKIA_N8), contest).evidence["created_in_window"] is None


def test_editor_tags_are_named(clip, contest_for):
    tags = {**NOKIA_N8, "software": "CapCut 12.1", "comment": "Premiere of my film"}
    signs = check_device(clip(tags), contest_for("Nokia N8-00")).evidence["editor_signs"]
    assert signs == [{"tag": "software", "value": "CapCut 12.1", "editor": "CapCut"},
                     {"tag": "encoder", "value": "Lavf59.27.100", "editor": "FFmpeg"},
                     {"tag": "video:handler_name", "value": "VideoHandler", "editor": "FFmpeg"},
                     {"tag": "video:encoder", "value": "Lavc59.37.100 libx264",
                      "editor": "FFmpeg"}]


def test_policy_reject_refuses_another_phone(clip, contest_for, tmp_path):
    path = make_clip(tmp_path / "film.mp4", tags=ANDROID_PIXEL)
    with pytest.raises(MediaRefused, match="recorded on a Google Pixel 8; this contest "
                                           "accepts films shot on Nokia N8-00") as refused:
        check_upload(path, contest_for("Nokia N8-00", min_height=0))
    assert (refused.value.status, refused.value.code) == (422, "media_refused")


def test_policy_reject_refuses_an_unknown_phone(contest_for, tmp_path):
    path = make_clip(tmp_path / "film.mp4")
    with pytest.raises(MediaRefused, match="could not tell which phone"):
        check_upload(path, contest_for("Nokia N8-00", min_height=0))


def test_policy_flag_accepts_and_records(contest_for, tmp_path):
    contest = contest_for("Nokia N8-00", min_height=0, device_policy="flag")
    screening = check_upload(make_clip(tmp_path / "a.mp4", tags=ANDROID_PIXEL), contest)
    assert (screening.device.verdict, screening.device.model) == ("mismatch", "Pixel 8")
    screening = check_upload(make_clip(tmp_path / "b.mp4"), contest)
    assert screening.device.verdict == "unknown"
    screening = check_upload(make_clip(tmp_path / "c.mp4", tags=NOKIA_N8), contest)
    assert screening.device.verdict == "verified"


# file: (accepted phone, make, model, device tag names that must be kept)
REAL = {
    "apple_iphone5_udta_and_keys.mov": ("Apple iPhone 5", "Apple", "iPhone 5",
                                        {"make", "make-eng", "model-eng",
                                         "com.apple.quicktime.model"}),
    "apple_iphone6.mov": ("Apple iPhone 6", "Apple", "iPhone 6",
                          {"com.apple.quicktime.make", "com.apple.quicktime.software"}),
    "apple_iphone12promax.mp4": ("Apple iPhone 12 Pro Max", "Apple", "iPhone 12 Pro Max",
                                 {"com.apple.quicktime.model"}),
    "apple_iphone14pro_dolbyvision.mov": ("Apple iPhone 14 Pro", "Apple", "iPhone 14 Pro",
                                          {"com.apple.quicktime.model"}),
    "apple_iphone6s_livephoto.mov": ("Apple iPhone 6s", "Apple", "iPhone 6s",
                                     {"com.apple.quicktime.model"}),
}


def real(name):
    return probe(Path(SHARED_MEDIA) / name)


@pytest.mark.parametrize("name", list(REAL))
def test_real_iphones_are_verified_and_unedited(contest_for, name):
    phone, make, model, kept = REAL[name]
    check = check_device(real(name), contest_for(phone))
    assert (check.make, check.model, check.verdict) == (make, model, "verified")
    assert kept <= set(check.evidence["device_tags"])
    assert check.evidence["edited"] is False
    assert check.evidence["created_in_window"] is False  # recorded years before the contest
    json.dumps(check.evidence)


def test_real_iphone6_is_not_an_iphone6s(contest_for):
    check = check_device(real("apple_iphone6.mov"), contest_for("Apple iPhone 6s"))
    assert check.verdict == "mismatch" and check.model == "iPhone 6"
    assert check.evidence["rotation"] == 90 and check.evidence["fps"] == pytest.approx(29.988)


@pytest.mark.parametrize("name,version", [
    ("samsung_android6_no_model.mp4", "6.0.1"),
    ("samsung_android12_no_model.mp4", "12"),
])
def test_real_samsungs_without_a_model_are_unknown(contest_for, name, version):
    check = check_device(real(name), contest_for("Samsung Galaxy S21"))
    assert (check.make, check.model, check.verdict) == (None, None, "unknown")
    assert check.evidence["device_tags"] == {"com.android.version": version}


def test_real_recording_in_the_contest_window(contest_for, clock):
    """The same file recorded during the contest (its creation time inside the window)."""
    contest = contest_for("Apple iPhone 6", submissions_open_at=datetime(2019, 7, 1),
                          submissions_close_at=datetime(2019, 8, 1))
    clock.set(datetime(2019, 7, 25))
    check = check_device(real("apple_iphone6.mov"), contest)
    assert check.evidence["created_in_window"] is True
    late = check_device(real("apple_iphone6.mov"), contest, now=datetime(2019, 7, 20))
    assert late.evidence["created_in_window"] is False
