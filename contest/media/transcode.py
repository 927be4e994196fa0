"""One ffmpeg run decodes the original once and writes the whole ladder.

Each rung is encoded once and the `tee` muxer packages it twice: a faststart
MP4 and an HLS variant. A further branch of the same `split` picks the poster
and the gallery thumbnail. Keyframes are forced at the same times in every rung
so HLS segments line up and a player can switch rungs at any segment.
"""
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from contest import config
from contest.media import safety

# Settings shared by every rung; config.TRANSCODE (if present) overrides them.
SETTINGS = {
    "preset": "veryfast",      # x264 speed/size trade-off; a ladder row may name its own
    "segment_s": 4,            # HLS segment length; keyframes are forced this often
    "max_fps": 60,             # faster sources (slow motion) are brought down to this
    "poster_height": 720,      # shorter side of the poster, never above the top rung
    "thumbnail_width": 320,
    "poster_window_s": 2,      # the poster is the most typical frame of this window
}
SETTINGS.update(getattr(config, "TRANSCODE", {}))

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".vtt": "text/vtt",
}

# Transfer functions of HDR video: PQ (HDR10, Dolby Vision) and HLG.
HDR_TRANSFERS = {"smpte2084", "arib-std-b67"}

MASTER = "hls/master.m3u8"
POSTER = "poster.jpg"
THUMBNAIL = "thumbnail.jpg"


@dataclass
class Rendition:
    height: int
    width: int
    path: str
    bytes: int


@dataclass
class TranscodeResult:
    renditions: list[Rendition]
    hls_master: str
    poster: str
    thumbnail: str
    files: list[str]


class TranscodeError(Exception):
    """A message fit for a filmmaker; `log` keeps ffmpeg's stderr tail for the logs."""

    def __init__(self, message, log=""):
        super().__init__(message)
        self.log = log
        # Shown to the filmmaker when the job fails for good (see contest.jobs).
        self.public_message = message


@dataclass
class Rung:
    """One planned rendition: its label ("720p"), output size and ladder row."""
    label: str
    width: int
    height: int
    row: dict

    @property
    def mp4(self):
        return f"{self.label}.mp4"

    @property
    def playlist(self):
        return f"hls/{self.label}/index.m3u8"


def content_type(relpath):
    """The Content-Type to store an output file with."""
    return CONTENT_TYPES.get(Path(relpath).suffix.lower(), "application/octet-stream")


def _even(value):
    """Rounded down to even: a source's own size is never exceeded."""
    return max(2, int(value) // 2 * 2)


def _nearest_even(value):
    return max(2, round(value / 2) * 2)


def _fit(width, height, short):
    """The size with the shorter side `short`, the aspect kept, both sides even."""
    scale = short / min(width, height)
    return (min(_nearest_even(width * scale), _even(width)),
            min(_nearest_even(height * scale), _even(height)))


def plan_rungs(width, height, ladder):
    """The ladder rows that fit the source, largest first; never an upscale.

    The rung number is the shorter side, so portrait and landscape films of the
    same quality get the same rungs. A source below the smallest rung gets one
    rendition at its own (even) size.
    """
    short = min(width, height)
    rows = sorted(ladder, key=lambda row: row["height"], reverse=True)
    rungs = [Rung(f"{row['height']}p", *_fit(width, height, row["height"]), row)
             for row in rows if row["height"] <= short]
    if not rungs:
        w, h = _even(width), _even(height)
        rungs = [Rung(f"{min(w, h)}p", w, h, rows[-1])]
    return rungs


def stage_name(rungs):
    """'Making the 1080p, 720p and 360p versions'."""
    labels = [rung.label for rung in rungs]
    if len(labels) == 1:
        return f"Making the {labels[0]} version"
    return f"Making the {', '.join(labels[:-1])} and {labels[-1]} versions"


def transcode(source_path, out_dir, info, ladder, *, timeout_s=3600, on_progress=None):
    """Write the ladder, the HLS package, a poster and a thumbnail into out_dir."""
    out = Path(out_dir)
    rungs = plan_rungs(info.width, info.height, ladder)
    _prepare(out, rungs)
    progress = Progress(on_progress, info.duration_s)
    progress.stage(stage_name(rungs))
    _run(build_command(source_path, rungs, info), out, timeout_s, progress)
    _require(out, [rung.mp4 for rung in rungs] + [rung.playlist for rung in rungs])
    if not (out / POSTER).is_file():
        # The video ended before the poster window (audio longer than the picture).
        progress.stage("Making the poster")
        _run(poster_command(out / rungs[0].mp4, rungs[0]), out, timeout_s, progress)
        _require(out, [POSTER, THUMBNAIL])
    progress.stage("Writing the playlists", 99)
    segments = {rung.label: read_playlist(out / rung.playlist) for rung in rungs}
    write_master(out, rungs, segments, info.has_audio)
    progress.stage("Web versions ready", 100)
    return _result(out, rungs, segments)


def _prepare(out, rungs):
    for rung in rungs:
        (out / rung.playlist).parent.mkdir(parents=True, exist_ok=True)
    # A poster left by an earlier run must not hide a missing one.
    for name in (POSTER, THUMBNAIL):
        (out / name).unlink(missing_ok=True)


def _require(out, names):
    missing = [name for name in names if not (out / name).is_file()]
    if missing:
        raise TranscodeError("We could not make every version of this video.",
                             f"missing outputs: {', '.join(missing)}")


def _result(out, rungs, segments):
    files = [MASTER, POSTER, THUMBNAIL]
    for rung in rungs:
        files += [rung.mp4, rung.playlist]
        files += [f"hls/{rung.label}/{name}" for name, _ in segments[rung.label]]
    renditions = [Rendition(rung.height, rung.width, rung.mp4, (out / rung.mp4).stat().st_size)
                  for rung in rungs]
    return TranscodeResult(renditions=renditions, hls_master=MASTER, poster=POSTER,
                           thumbnail=THUMBNAIL, files=files)


# -- the ffmpeg command -------------------------------------------------------

def build_command(source_path, rungs, info):
    """The argv of the single ffmpeg run (relative output names; run it in out_dir)."""
    source = ffmpeg.input(safety.local_path(source_path), **safety.INPUT_OPTIONS)
    video_index, video_stream = _pick(info, "video")
    video = source[video_index]
    if info.fps and info.fps > SETTINGS["max_fps"]:
        video = video.filter("fps", fps=SETTINGS["max_fps"])
    if video_stream.get("color_transfer") in HDR_TRANSFERS:
        video = _tone_map(video, rungs[0])
    branches = video.filter_multi_output("split", len(rungs) + 1)
    audio = [source[_pick(info, "audio")[0]]] if info.has_audio else []
    outputs = [
        ffmpeg.output(branches[i].filter("scale", rung.width, rung.height).filter("setsar", 1),
                      *audio, _tee_target(rung), **_output_options(rung, info.has_audio))
        for i, rung in enumerate(rungs)
    ]
    outputs += _poster_outputs(branches[len(rungs)], rungs[0], info.duration_s)
    return _compile(outputs)


def poster_command(mp4, top):
    """A poster from the start of our own top rendition (not the upload)."""
    video = ffmpeg.input(safety.local_path(mp4), **safety.INPUT_OPTIONS)["v:0"]
    return _compile(_poster_outputs(video, top, 0))


def _compile(outputs):
    graph = ffmpeg.merge_outputs(*outputs).global_args(
        "-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning",
        "-progress", "pipe:1", "-stats_period", "0.25")
    return graph.compile(overwrite_output=True)


def hls_options(label):
    """The hls muxer's options for one rung (shared with bench/transcode.py)."""
    return {"hls_time": SETTINGS["segment_s"], "hls_playlist_type": "vod", "hls_list_size": 0,
            "hls_flags": "independent_segments",
            "hls_segment_filename": f"hls/{label}/seg_%03d.ts"}


def _pick(info, kind):
    """The input stream probe() judged: the first of its kind that is not cover art."""
    for stream in (getattr(info, "raw", None) or {}).get("streams", []):
        if stream.get("codec_type") == kind and \
                not stream.get("disposition", {}).get("attached_pic"):
            return str(stream["index"]), stream
    return f"{kind[0]}:0", {}


def _tone_map(video, top):
    """HDR (HLG or PQ, as recent iPhones record) to the SDR BT.709 every screen shows.

    Done once, at the top rung's size, before the split; without it the 8-bit
    renditions would keep HDR tags and look washed out or banded.
    """
    return (video.filter("zscale", w=top.width, h=top.height, t="linear", npl=100)
            .filter("format", "gbrpf32le").filter("zscale", p="bt709")
            .filter("tonemap", tonemap="hable", desat=0)
            .filter("zscale", t="bt709", m="bt709", r="tv").filter("format", "yuv420p"))


def _tee_target(rung):
    # Names are relative and plain (no ':', '|', '[' or backslash), so need no tee escaping.
    hls = ":".join(f"{key}={value}" for key, value in hls_options(rung.label).items())
    return f"[f=mp4:movflags=+faststart]{rung.mp4}|[f=hls:{hls}]{rung.playlist}"


def encoder_options(row, has_audio):
    """The codec settings of one ladder row (shared with bench/transcode.py)."""
    options = {
        "c:v": "libx264", "preset": row.get("preset", SETTINGS["preset"]),
        "crf": row["crf"], "maxrate": f"{row['maxrate_k']}k", "bufsize": f"{2 * row['maxrate_k']}k",
        "profile:v": "high", "pix_fmt": "yuv420p",
        # Same keyframe times in every rung: segment boundaries line up across variants.
        "force_key_frames": f"expr:gte(t,n_forced*{SETTINGS['segment_s']})",
    }
    if has_audio:
        options.update({"c:a": "aac", "b:a": f"{row['audio_k']}k", "ac": 2})
    return options


def _output_options(rung, has_audio):
    return {
        **encoder_options(rung.row, has_audio),
        # tee cannot tell the encoder that MP4 wants out-of-band headers.
        "flags": "+global_header",
        # Keep phone timestamps as they are; the tee muxer would otherwise make ffmpeg
        # duplicate frames of a variable-frame-rate film up to its nominal rate.
        "fps_mode": "vfr",
        # Phones store the place a film was shot; none of the tags is published.
        "map_metadata": -1, "map_chapters": -1,
        "f": "tee",
    }


def _poster_outputs(branch, top, duration_s):
    """The poster: the most typical frame of a window a third of the way in."""
    window = SETTINGS["poster_window_s"]
    start = max(0.0, min(duration_s / 3, duration_s - window))
    short = min(SETTINGS["poster_height"], min(top.width, top.height))
    width, height = _fit(top.width, top.height, short)
    thumb_w = SETTINGS["thumbnail_width"]
    thumb_h = _nearest_even(top.height * thumb_w / top.width)
    picked = (branch.filter("trim", start=round(start, 3), duration=window)
              .filter("scale", width, height).filter("setsar", 1)
              .filter("thumbnail", n=50).filter_multi_output("split", 2))
    image = {"frames:v": 1, "q:v": 3, "update": 1, "f": "image2"}
    return [ffmpeg.output(picked[0], POSTER, **image),
            ffmpeg.output(picked[1].filter("scale", thumb_w, thumb_h), THUMBNAIL, **image)]


# -- running it ---------------------------------------------------------------

class Progress:
    """Turns ffmpeg's out_time into rising whole percents for on_progress."""

    def __init__(self, callback, duration_s):
        self.callback = callback or (lambda percent, stage: None)
        self.duration_us = max(duration_s or 0, 0.001) * 1_000_000
        self.percent = 0
        self.name = ""

    def stage(self, name, percent=None):
        self.name = name
        self.percent = max(self.percent, percent or 0)
        self.callback(self.percent, name)

    def line(self, text):
        key, _, value = text.strip().partition("=")
        if key != "out_time_us" or not value.lstrip("-").isdigit():
            return
        percent = min(98, int(int(value) * 100 / self.duration_us))
        if percent > self.percent:
            self.percent = percent
            self.callback(percent, self.name)


def _run(args, cwd, timeout_s, progress):
    """Run ffmpeg in cwd, feeding progress; kill it after timeout_s."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(args, cwd=cwd, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
        killed = threading.Event()
        timer = threading.Timer(timeout_s, lambda: (killed.set(), process.kill()))
        timer.start()
        try:
            for text in process.stdout:
                progress.line(text)
            process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stdout.close()
        log = _tail(stderr)
    if killed.is_set() and process.returncode != 0:
        raise TranscodeError("Converting this video took longer than the time allowed.",
                             f"killed after {timeout_s} s\n{log}")
    if process.returncode != 0:
        raise TranscodeError("We could not convert this video; the file may be damaged.", log)


def _tail(file, size=4000):
    file.seek(0, os.SEEK_END)
    file.seek(max(0, file.tell() - size))
    return file.read().decode("utf-8", "replace")


# -- HLS playlists -------------------------------------------------------------

def read_playlist(path):
    """[(segment name, seconds)] of a variant playlist the hls muxer wrote."""
    segments, seconds = [], None
    for line in Path(path).read_text().splitlines():
        if line.startswith("#EXTINF:"):
            seconds = float(line[len("#EXTINF:"):].split(",")[0])
        elif line and not line.startswith("#"):
            segments.append((line, seconds))
    return segments


def write_master(out, rungs, segments, has_audio):
    """The master playlist: one EXT-X-STREAM-INF per rung, measured bit rates."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in rungs:
        peak, average = _bitrates(out / "hls" / rung.label, segments[rung.label])
        codecs = _video_codec(out / rung.mp4) + (",mp4a.40.2" if has_audio else "")
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={peak},AVERAGE-BANDWIDTH={average},"
                  f"RESOLUTION={rung.width}x{rung.height},CODECS=\"{codecs}\"",
                  f"{rung.label}/index.m3u8"]
    (out / MASTER).write_text("\n".join(lines) + "\n")


def _bitrates(folder, segments):
    """Peak and average bits per second over the segments (a short last one is not a peak)."""
    rates, total_bits, total_s = [], 0, 0.0
    for name, seconds in segments:
        bits = (folder / name).stat().st_size * 8
        total_bits, total_s = total_bits + bits, total_s + seconds
        if seconds >= 1 or len(segments) == 1:
            rates.append(bits / max(seconds, 0.001))
    average = int(total_bits / max(total_s, 0.001))
    return int(max(rates, default=average)), average


def _video_codec(mp4):
    """RFC 6381 codec string of the rendition, e.g. avc1.64001f (High, level 3.1)."""
    streams = ffmpeg.probe(safety.local_path(mp4), select_streams="v:0",
                           **safety.INPUT_OPTIONS)["streams"]
    level = int(streams[0].get("level") or 40)
    return f"avc1.6400{level:02x}"
