"""The one-run transcoder, on tiny clips made with real ffmpeg and on real phone files."""
import os
import struct
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import ffmpeg
import pytest
from clips import APPLE_IPHONE, make_clip

from contest.config import LADDER
from contest.media.transcode import (
    TranscodeError,
    content_type,
    plan_rungs,
    read_playlist,
    transcode,
)

pytestmark = pytest.mark.slow

# The real ladder at x264's fastest preset: same rungs, keyframes and packaging.
FAST = [dict(row, preset="ultrafast") for row in LADDER]
LOCATION = "com.apple.quicktime.location.ISO6709"
SHARED_MEDIA = Path(__file__).parents[3] / "shared" / "media"


def probe_info(path):
    """What probe() reports, enough for transcode(): display size after rotation etc."""
    data = ffmpeg.probe(str(path))
    video = next(s for s in data["streams"] if s["codec_type"] == "video")
    rotation = next((int(side.get("rotation", 0)) for side in video.get("side_data_list", [])
                     if "rotation" in side), 0)
    width, height = video["width"], video["height"]
    if rotation % 180:
        width, height = height, width
    num, den = video["avg_frame_rate"].split("/")
    return SimpleNamespace(
        width=width, height=height, rotation=rotation,
        duration_s=float(data["format"]["duration"]),
        fps=int(num) / int(den) if int(den) else None,
        has_audio=any(s["codec_type"] == "audio" for s in data["streams"]))


def streams(path):
    return {s["codec_type"]: s for s in ffmpeg.probe(str(path))["streams"]}


def top_level_boxes(path):
    """The names of an MP4's top-level boxes, in file order."""
    names, data = [], Path(path).read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, name = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        names.append(name.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return names


def mean_luma(path, crop=None, frame=0):
    """Average Y (16 black .. 235 white) of one frame, as the displayed (rotated) picture."""
    chain = ",".join(filter(None, [f"select=eq(n\\,{frame})", crop, "signalstats",
                                   "metadata=print:key=lavfi.signalstats.YAVG:file=-"]))
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", chain,
                          "-frames:v", "1", "-f", "null", "-"],
                         check=True, capture_output=True, text=True).stdout
    return float(out.split("YAVG=")[1].split()[0])


def keyframe_times(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v", "-skip_frame",
                          "nokey", "-show_entries", "frame=pts_time", "-of", "csv=p=0",
                          str(path)], check=True, capture_output=True, text=True).stdout
    return [round(float(line.split(",")[0]), 3) for line in out.split()]


def frame_count(path):
    return int(ffmpeg.probe(str(path), count_frames=None, select_streams="v:0")
               ["streams"][0]["nb_read_frames"])


def run(source, tmp_path, ladder=FAST, **kwargs):
    out = tmp_path / "out"
    return transcode(source, out, probe_info(source), ladder, **kwargs), out


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="module")
def clip_720p(clips):
    return make_clip(clips / "720p.mp4", width=1280, height=720, seconds=1.5)


# -- planning -----------------------------------------------------------------

@pytest.mark.parametrize("size, expected", [
    ((1920, 1080), [(1920, 1080), (1280, 720), (854, 480), (640, 360)]),
    ((1080, 1920), [(1080, 1920), (720, 1280), (480, 854), (360, 640)]),
    ((1280, 720), [(1280, 720), (854, 480), (640, 360)]),
    ((1923, 1080), [(1922, 1080), (1282, 720), (854, 480), (640, 360)]),
    ((1000, 562), [(854, 480), (640, 360)]),
    ((640, 360), [(640, 360)]),
    ((321, 241), [(320, 240)]),
    ((240, 320), [(240, 320)]),
])
def test_plan_rungs_follow_the_shorter_side_and_never_upscale(size, expected):
    assert [(r.width, r.height) for r in plan_rungs(*size, LADDER)] == expected


def test_content_types():
    assert content_type("720p.mp4") == "video/mp4"
    assert content_type("hls/master.m3u8") == "application/vnd.apple.mpegurl"
    assert content_type("hls/720p/seg_000.ts") == "video/mp2t"
    assert content_type("poster.jpg") == "image/jpeg"
    assert content_type("notes.bin") == "application/octet-stream"


# -- whole runs ---------------------------------------------------------------

def test_small_landscape_clip_gets_one_rung_with_mp4_hls_poster(clips, tmp_path):
    source = make_clip(clips / "360p.mp4", width=640, height=360, seconds=1.5,
                       tags={**APPLE_IPHONE, LOCATION: "+32.0929+034.8620/"})
    assert LOCATION in ffmpeg.probe(str(source))["format"]["tags"]
    result, out = run(source, tmp_path)

    assert [(r.width, r.height, r.path) for r in result.renditions] == [(640, 360, "360p.mp4")]
    mp4 = out / "360p.mp4"
    assert result.renditions[0].bytes == mp4.stat().st_size
    found = streams(mp4)
    assert found["video"]["codec_name"] == "h264" and found["audio"]["codec_name"] == "aac"
    assert found["video"]["pix_fmt"] == "yuv420p"
    boxes = top_level_boxes(mp4)
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    master = (out / result.hls_master).read_text()
    assert 'RESOLUTION=640x360,CODECS="avc1.6400' in master and "mp4a.40.2" in master
    assert "360p/index.m3u8" in master
    # Where and on what the film was shot stays private; the device check has it.
    tags = ffmpeg.probe(str(mp4))["format"].get("tags", {})
    assert not [name for name in tags if "apple" in name or "location" in name]
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert set(result.files) == written
    assert {result.hls_master, result.poster, result.thumbnail, "360p.mp4"} <= written


def test_720p_clip_gets_720_480_360(clip_720p, tmp_path):
    result, out = run(clip_720p, tmp_path)

    sizes = [(r.width, r.height) for r in result.renditions]
    assert sizes == [(1280, 720), (854, 480), (640, 360)]
    for rendition in result.renditions:
        video = streams(out / rendition.path)["video"]
        assert (video["width"], video["height"]) == (rendition.width, rendition.height)
    master = (out / result.hls_master).read_text()
    for label in ("720p", "480p", "360p"):
        assert f"{label}/index.m3u8" in master
        assert (out / "hls" / label / "index.m3u8").is_file()


def test_segments_and_keyframes_line_up_across_rungs(clips, tmp_path):
    source = make_clip(clips / "9s.mp4", width=854, height=480, fps=8, seconds=9)
    result, out = run(source, tmp_path)

    labels = [Path(r.path).stem for r in result.renditions]
    assert labels == ["480p", "360p"]
    playlists = [read_playlist(out / "hls" / label / "index.m3u8") for label in labels]
    assert [seconds for _, seconds in playlists[0]] == pytest.approx([4, 4, 1], abs=0.01)
    assert [s for _, s in playlists[0]] == [s for _, s in playlists[1]]
    assert keyframe_times(out / "480p.mp4") == keyframe_times(out / "360p.mp4") == [0, 4, 8]
    # A middle segment plays on its own: it starts with a keyframe and its own headers.
    middle = out / "hls" / "360p" / playlists[1][1][0]
    assert keyframe_times(middle)[0] == pytest.approx(4, abs=0.1)
    assert frame_count(middle) == 4 * 8


def test_portrait_phone_video_comes_out_upright(clips, tmp_path):
    # Coded 640x360 with the top half white; the display matrix turns it to portrait.
    coded = make_clip(clips / "coded.mp4", width=640, height=360, extra=(
        "-vf", "drawbox=0:0:iw:ih/2:white:fill,drawbox=0:ih/2:iw:ih/2:black:fill"))
    source = clips / "portrait.mp4"
    # make_clip(rotate=) writes no display matrix when encoding on ffmpeg 5.1; a copy does.
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", coded, "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", source], check=True)
    assert probe_info(source).rotation == 90
    result, out = run(source, tmp_path)

    assert [(r.width, r.height) for r in result.renditions] == [(360, 640)]
    video = streams(out / "360p.mp4")["video"]
    assert (video["width"], video["height"]) == (360, 640)
    assert not video.get("side_data_list")  # upright pixels, nothing left for a player to turn
    left, right = "crop=iw/2:ih:0:0", "crop=iw/2:ih:iw/2:0"
    # As a player shows the original: the same half is white in our output.
    shown = (mean_luma(source, left), mean_luma(source, right))
    ours = (mean_luma(out / "360p.mp4", left), mean_luma(out / "360p.mp4", right))
    assert abs(shown[0] - shown[1]) > 150
    assert ours == pytest.approx(shown, abs=10)


def test_odd_size_is_made_even_without_upscaling(clips, tmp_path):
    source = make_clip(clips / "odd.mkv", width=321, height=241)
    result, out = run(source, tmp_path)
    assert [(r.width, r.height) for r in result.renditions] == [(320, 240)]
    video = streams(out / "240p.mp4")["video"]
    assert (video["width"], video["height"]) == (320, 240)


def test_film_without_audio(clips, tmp_path):
    source = make_clip(clips / "silent.mp4", audio=False)
    result, out = run(source, tmp_path)
    assert set(streams(out / result.renditions[0].path)) == {"video"}
    master = (out / result.hls_master).read_text()
    assert "mp4a" not in master and "avc1.6400" in master


def test_variable_frame_rate_keeps_its_frames(clips, tmp_path):
    # 10 frames at 24 fps, then every third: timestamps with uneven gaps.
    source = make_clip(clips / "vfr.mp4", extra=(
        "-vf", "select='lt(n\\,10)+not(mod(n\\,3))'", "-fps_mode", "vfr"))
    result, out = run(source, tmp_path)
    mp4 = out / result.renditions[0].path
    assert frame_count(mp4) == frame_count(source)
    assert float(ffmpeg.probe(str(mp4))["format"]["duration"]) == pytest.approx(1.5, abs=0.1)


def test_poster_skips_a_black_opening(clips, tmp_path):
    source = make_clip(clips / "black_start.mp4", width=640, height=360, seconds=2, extra=(
        "-vf", "drawbox=0:0:iw:ih:black:fill:enable='lt(t,0.6)'"))
    assert mean_luma(source) < 20  # the first frame is black
    result, out = run(source, tmp_path)
    assert mean_luma(out / result.poster) > 60
    poster, thumb = streams(out / result.poster)["video"], streams(out / result.thumbnail)["video"]
    assert (poster["width"], poster["height"]) == (640, 360)
    assert (thumb["width"], thumb["height"]) == (320, 180)


def test_poster_when_the_picture_ends_before_the_sound(tmp_path):
    source = tmp_path / "short_picture.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:d=1",
                    "-f", "lavfi", "-i", "sine=d=4", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", source], check=True)
    stages = []
    result, out = run(source, tmp_path, on_progress=lambda percent, stage: stages.append(stage))
    assert "Making the poster" in stages  # the poster window (1.3 s on) had no picture
    assert mean_luma(out / result.poster) > 60
    assert (out / result.thumbnail).stat().st_size > 0


def test_progress_rises_to_100_with_plain_stages(clip_720p, tmp_path):
    calls = []
    run(clip_720p, tmp_path, on_progress=lambda percent, stage: calls.append((percent, stage)))
    percents = [percent for percent, _ in calls]
    assert percents == sorted(percents) and percents[-1] == 100
    assert len(set(percents)) >= 3  # intermediate figures from -progress, not just 0 and 100
    assert ("Making the 720p, 480p and 360p versions") in {stage for _, stage in calls}


def test_time_limit_kills_ffmpeg(clip_720p, tmp_path):
    slow = [dict(row, preset="veryslow") for row in LADDER]
    started = time.monotonic()
    with pytest.raises(TranscodeError, match="longer than the time allowed") as caught:
        run(clip_720p, tmp_path, ladder=slow, timeout_s=0.5)
    assert time.monotonic() - started < 5
    assert "killed after 0.5 s" in caught.value.log
    assert not [pid for pid in child_pids() if "ffmpeg" in command_of(pid)]


def test_unreadable_file_fails_with_a_plain_message(tmp_path):
    # An HLS playlist named .mp4: the format whitelist keeps ffmpeg from opening it.
    source = tmp_path / "film.mp4"
    source.write_text("#EXTM3U\n#EXTINF:1,\nother.mp4\n#EXT-X-ENDLIST\n")
    info = SimpleNamespace(width=320, height=240, duration_s=1.5, fps=24, has_audio=True)
    with pytest.raises(TranscodeError, match="could not convert") as caught:
        transcode(source, tmp_path / "out", info, FAST)
    assert caught.value.log  # ffmpeg's own words are kept for the logs


@pytest.mark.parametrize("name, size", [
    ("apple_iphone6.mov", (320, 568)),              # rotated, audio is stream 0
    ("apple_iphone12promax.mp4", (1080, 1920)),     # HEVC Main 10 HLG (HDR), rotated
    ("samsung_android12_no_model.mp4", (2160, 3840)),  # portrait 4K 60 fps
])
def test_real_phone_recordings(name, size, tmp_path):
    from contest.media.probe import probe

    source = SHARED_MEDIA / name
    assert source.exists(), f"{source} is missing: the tests read ../shared/media"
    info = probe(source)
    assert (info.width, info.height) == size
    result = transcode(source, tmp_path, info, FAST)
    top, planned = result.renditions[0], plan_rungs(*size, FAST)[0]
    assert (top.width, top.height) == (planned.width, planned.height)
    assert top.height > top.width  # all three were filmed upright
    video = streams(tmp_path / top.path)["video"]
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
    assert (video["width"], video["height"]) == (top.width, top.height)
    # HDR is tone-mapped to SDR: no 8-bit file tagged as HLG/PQ.
    assert video.get("color_transfer") not in ("arib-std-b67", "smpte2084")
    assert mean_luma(tmp_path / result.poster) > 40


def child_pids():
    pids = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        pids += (task / "children").read_text().split()
    return pids


def command_of(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return ""
