"""probe(): what ffprobe finds in generated clips and in real phone recordings."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from clips import NOKIA_N8, make_clip, set_rotation
from conftest import SHARED_MEDIA

from contest.media.checks import check_upload
from contest.media.probe import MediaRefused, probe, run_ffprobe

MOV = "mov,mp4,m4a,3gp,3g2,mj2"
# file: (format, display width, height, coded width, height, rotation, codec, audio, fps)
REAL = {
    "apple_iphone5_udta_and_keys.mov": (MOV, 1920, 1080, 1920, 1080, 0, "h264", True, 29.95),
    "apple_iphone6.mov": (MOV, 320, 568, 568, 320, 90, "h264", True, 29.988),
    "apple_iphone12promax.mp4": (MOV, 1080, 1920, 1920, 1080, 90, "hevc", True, 30.0),
    "apple_iphone14pro_dolbyvision.mov": (MOV, 720, 1280, 1280, 720, 90, "hevc", True, 30.0),
    "apple_iphone6s_livephoto.mov": (MOV, 1440, 1080, 1440, 1080, 0, "h264", True, 10.645),
    "samsung_android6_no_model.mp4": (MOV, 1920, 1080, 1920, 1080, 0, "h264", True, 30.02),
    "samsung_android12_no_model.mp4": (MOV, 2160, 3840, 3840, 2160, 90, "h264", True, 60.058),
}


def real(name):
    return Path(SHARED_MEDIA) / name


def test_probe_reads_a_generated_clip(tmp_path):
    clip = make_clip(tmp_path / "film.mp4", tags=NOKIA_N8)
    info = probe(clip)
    assert (info.width, info.height, info.coded_width, info.coded_height) == (320, 240, 320, 240)
    assert info.rotation == 0 and info.fps == 24.0 and info.video_codec == "h264"
    assert info.has_audio and info.stream_count == 2 and info.format_name == MOV
    assert info.duration_s == pytest.approx(1.5, abs=0.1)
    assert info.size_bytes == clip.stat().st_size
    assert info.tags["make"] == "Nokia" and info.tags["video:handler_name"] == "VideoHandler"
    assert info.creation_time is None
    assert info.raw["format"]["format_name"] == MOV
    json.dumps(info.raw)


def test_probe_without_audio(tmp_path):
    info = probe(make_clip(tmp_path / "film.mp4", audio=False))
    assert not info.has_audio and info.stream_count == 1


@pytest.mark.parametrize("degrees,rotation", [(270, 90), (90, 270)])
def test_portrait_clip_is_taller_than_wide(tmp_path, degrees, rotation):
    """A display matrix like the iPhone's (-90) reads as a clockwise quarter turn."""
    clip = make_clip(tmp_path / "landscape.mp4", tags=NOKIA_N8)
    info = probe(set_rotation(clip, tmp_path / "portrait.mp4", degrees))
    assert info.rotation == rotation
    assert (info.width, info.height) == (240, 320)
    assert (info.coded_width, info.coded_height) == (320, 240)
    assert info.tags["model"] == "N8-00"


@pytest.mark.parametrize("name,container", [
    ("film.mkv", None), ("film.mov", None), ("film.3gp", None), ("film.m4v", "mp4"),
])
def test_accepted_containers(tmp_path, name, container):
    info = probe(make_clip(tmp_path / name, container=container))
    assert info.height == 240 and info.has_audio


def test_webm_is_accepted(tmp_path):
    clip = tmp_path / "film.webm"
    make_clip(clip, audio=False, extra=("-c:v", "libvpx-vp9", "-deadline", "realtime",
                                       "-cpu-used", "8", "-b:v", "100k"))
    info = probe(clip)
    assert info.format_name == "matroska,webm" and info.video_codec == "vp9"


def test_cover_art_is_not_a_picture(tmp_path):
    """An m4a with an album cover has a 'video' stream that is only an attached picture."""
    cover = make_clip(tmp_path / "cover.png", seconds=0.1, audio=False,
                      extra=("-frames:v", "1", "-c:v", "png", "-f", "image2"))
    song = tmp_path / "song.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=duration=2",
                    "-i", str(cover), "-map", "0", "-map", "1", "-c:a", "aac", "-c:v", "png",
                    "-disposition:v", "attached_pic", str(song)], check=True)
    streams = run_ffprobe(song)["streams"]
    assert [s["disposition"]["attached_pic"] for s in streams] == [0, 1]
    with pytest.raises(MediaRefused, match="no picture"):
        probe(song)


@pytest.mark.parametrize("name", list(REAL))
def test_real_phone_recordings(name):
    info = probe(real(name))
    fmt, width, height, coded_w, coded_h, rotation, codec, audio, fps = REAL[name]
    assert info.format_name == fmt
    assert (info.width, info.height) == (width, height)
    assert (info.coded_width, info.coded_height) == (coded_w, coded_h)
    assert info.rotation == rotation and info.video_codec == codec
    assert info.has_audio is audio and info.fps == pytest.approx(fps, abs=0.01)
    assert info.creation_time and info.creation_time.startswith("20")


def test_iphone6_audio_first_and_metadata_tracks():
    info = probe(real("apple_iphone6.mov"))
    assert info.raw["streams"][0]["codec_type"] == "audio"
    assert info.stream_count == 4 and info.duration_s == pytest.approx(4.0, abs=0.01)
    assert info.tags["com.apple.quicktime.model"] == "iPhone 6"
    assert info.tags["audio:handler_name"] == "Core Media Audio"


def test_quicktime_named_mp4_is_read_by_its_content():
    info = probe(real("apple_iphone12promax.mp4"))
    assert info.tags["major_brand"] == "qt  " and info.video_codec == "hevc"


def test_portrait_real_film_meets_a_height_minimum_by_its_shorter_side(make_contest):
    contest = make_contest(accepted_phones=["Apple iPhone 6"], min_height=320)
    screening = check_upload(real("apple_iphone6.mov"), contest)
    assert (screening.probe.width, screening.probe.height) == (320, 568)
    strict = make_contest(accepted_phones=["Apple iPhone 6"], min_height=360)
    with pytest.raises(MediaRefused, match="at least 360 lines"):
        check_upload(real("apple_iphone6.mov"), strict)


def test_real_film_shorter_than_a_second_is_refused(make_contest):
    contest = make_contest(accepted_phones=["Apple iPhone 12 Pro Max"])
    with pytest.raises(MediaRefused, match="0.3 seconds long"):
        check_upload(real("apple_iphone12promax.mp4"), contest)


def test_probe_refuses_a_missing_file(tmp_path):
    with pytest.raises(MediaRefused, match="could not find"):
        probe(tmp_path / "gone.mp4")


def test_ffprobe_is_killed_after_the_time_limit(tmp_path):
    """A FIFO with no writer blocks ffprobe forever; the limit must end it."""
    fifo = tmp_path / "stuck.mp4"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(MediaRefused, match="took too long"):
        run_ffprobe(fifo, timeout_s=1)
    assert time.monotonic() - started < 5
    assert not [pid for pid in os.listdir("/proc") if pid.isdigit() and _runs(pid, fifo)]


def _runs(pid, path):
    try:
        return str(path).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
