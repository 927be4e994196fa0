"""Read an uploaded file with ffprobe and say, in plain words, why it is not a film.

ffprobe only ever sees the file through the 'file' protocol and the demuxer
whitelist in contest.media.safety: a playlist, a concat list, an image or a
text file named film.mp4 is refused by name of what it really is, and nothing
named inside a file is ever opened.
"""
import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from fractions import Fraction

from contest.errors import DomainError
from contest.media import safety

# Demuxers ffmpeg may detect (and the whitelist then refuses), by what they hold.
IMAGE_DEMUXERS = {"image2", "gif", "webp_pipe", "apng", "ico", "tiff_pipe", "psd_pipe",
                  "svg_pipe", "jpegxl_pipe", "bmp_pipe", "heif"}
PLAYLIST_DEMUXERS = {"hls", "concat", "dash", "ffmetadata", "sdp", "m3u", "smil"}
AUDIO_DEMUXERS = {"mp3", "wav", "flac", "ogg", "aac", "ac3", "eac3", "amr", "amrnb", "amrwb",
                  "aiff", "caf", "w64", "wv", "ape", "opus", "mpc", "mpc8", "dts", "tta"}
TEXT_DEMUXERS = {"srt", "webvtt", "ass", "subviewer", "subviewer1", "microdvd", "tty",
                 "lrc", "sami", "jacosub", "realtext", "mpl2", "vplayer", "stl", "pjs"}
ACCEPTED_WORDS = "MP4, MOV, 3GP, M4V, MKV or WebM"
# ffprobe's format_name for the containers above; checked again after the whitelist.
ACCEPTED_FORMATS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"}
_NOT_ON_WHITELIST = re.compile(r"\[(\w+) @ [^\]]*\] Format not on whitelist")


class MediaRefused(DomainError):
    """The uploaded file is not a film this site (or this contest) accepts."""

    status = 422
    code = "media_refused"

    def __init__(self, message, **kwargs):
        kwargs.setdefault("code", self.code)  # DomainError would pick the generic one
        super().__init__(message, **kwargs)


@dataclass
class ProbeResult:
    """What ffprobe found. width/height are the display size (after rotation).

    rotation is clockwise degrees (0, 90, 180, 270) as a 'rotate' tag would say;
    phones store it as a display matrix, which ffprobe reports counter-clockwise.
    tags holds the format tags under their own names and the first video and
    audio stream's tags as "video:NAME" and "audio:NAME", values untouched.
    """

    format_name: str
    duration_s: float
    size_bytes: int
    width: int
    height: int
    coded_width: int
    coded_height: int
    rotation: int
    fps: float
    video_codec: str
    has_audio: bool
    stream_count: int
    tags: dict = field(default_factory=dict)
    creation_time: str | None = None
    raw: dict = field(default_factory=dict)


def probe(path, timeout_s=30):
    """ffprobe the file at path; MediaRefused when it is not a readable video."""
    if not os.path.isfile(path):
        raise MediaRefused("We could not find the uploaded file. Please upload it again.")
    size = os.path.getsize(path)
    if size == 0:
        raise MediaRefused("This file is empty.")
    data = run_ffprobe(path, timeout_s)
    format_name = data.get("format", {}).get("format_name", "")
    if format_name not in ACCEPTED_FORMATS:
        raise MediaRefused(_wrong_kind(format_name))
    if format_name.startswith("mov") and _cut_short(path, size):
        raise MediaRefused(_INCOMPLETE)
    return _result(data, size)


def run_ffprobe(path, timeout_s=30):
    """The ffprobe JSON for path, read with the safe input options; killed after timeout_s."""
    # ffmpeg-python's probe() has no time limit in 0.2, so its argument building is
    # reused here with a subprocess that is killed when time runs out.
    args = ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json",
            *_flags(safety.INPUT_OPTIONS), safety.local_path(path)]
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as error:
        raise MediaRefused(
            "Reading this file took too long, so we stopped. If it plays on your phone, "
            "please export it again and upload the new copy.") from error
    if done.returncode != 0:
        raise MediaRefused(_why_unreadable(path, done.stderr.decode("utf-8", "replace")))
    return json.loads(done.stdout.decode("utf-8", "replace"))


def _flags(options):
    import ffmpeg

    return ffmpeg._utils.convert_kwargs_to_cmd_line_args(options)


_INCOMPLETE = ("This file is incomplete: the upload or the copy from the phone was cut "
               "short. Please upload the whole file again.")


def _why_unreadable(path, stderr):
    """A filmmaker's reason for a file ffprobe would not (or was not allowed to) open."""
    found = _NOT_ON_WHITELIST.search(stderr)
    if found:
        return _wrong_kind(found.group(1))
    if _looks_like_text(path):
        return "This is a text file, not a video."
    if "moov atom not found" in stderr:
        return _INCOMPLETE
    return ("We could not read this file as a video. It may be damaged, or not a video "
            f"at all. Please upload the film as {ACCEPTED_WORDS}.")


def _wrong_kind(demuxer):
    if demuxer in IMAGE_DEMUXERS or demuxer.endswith("_pipe"):
        return "This file is an image, not a video."
    if demuxer in PLAYLIST_DEMUXERS:
        return ("This file is a playlist or a list of other files, not a video. "
                "Please upload the film itself.")
    if demuxer in AUDIO_DEMUXERS:
        return "This file is a sound recording with no picture. Please upload the video."
    if demuxer in TEXT_DEMUXERS:
        return "This is a text file, not a video."
    return (f"This kind of video file ({demuxer}) is not accepted. "
            f"Please upload the film as {ACCEPTED_WORDS}.")


def _looks_like_text(path):
    with open(path, "rb") as f:
        head = f.read(4096)
    if b"\0" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start > len(head) - 4  # a character cut at the end of the sample
    return True


def _cut_short(path, size):
    """True when a top-level MP4/QuickTime box claims to end past the end of the file."""
    offset = 0
    with open(path, "rb") as f:
        while offset + 8 <= size:
            f.seek(offset)
            header = f.read(16)
            length = int.from_bytes(header[:4], "big")
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            if length == 0:
                return False  # the last box runs to the end of the file
            if length < 8:
                return False  # not box structure any more; ffprobe read what it needed
            offset += length
    return offset > size


def _result(data, size):
    streams = data.get("streams", [])
    video = _main_video(streams)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    fmt = data.get("format", {})
    duration = _duration(fmt, video)
    coded_w, coded_h = int(video.get("width") or 0), int(video.get("height") or 0)
    if not coded_w or not coded_h or not video.get("codec_name"):
        raise MediaRefused("We could not read the picture in this file. It may be damaged.")
    rotation = _rotation(video)
    width, height = (coded_h, coded_w) if rotation in (90, 270) else (coded_w, coded_h)
    tags = _tags(fmt, video, audio)
    return ProbeResult(
        format_name=fmt.get("format_name", ""), duration_s=duration, size_bytes=size,
        width=width, height=height, coded_width=coded_w, coded_height=coded_h,
        rotation=rotation, fps=_fps(video), video_codec=video["codec_name"],
        has_audio=audio is not None, stream_count=len(streams), tags=tags,
        creation_time=_creation_time(tags), raw=data)


def _main_video(streams):
    """The first real video stream; cover art (attached_pic) does not count."""
    for stream in streams:
        if stream.get("codec_type") == "video" and \
                not stream.get("disposition", {}).get("attached_pic"):
            return stream
    if any(s.get("codec_type") == "audio" for s in streams):
        raise MediaRefused("This file is a sound recording with no picture. "
                           "Please upload the video.")
    raise MediaRefused("This file holds no video.")


def _duration(fmt, video):
    for value in (fmt.get("duration"), video.get("duration")):
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            continue
        if seconds > 0:
            return seconds
    raise MediaRefused("We could not tell how long this film is. Please export it again "
                       f"from your phone as {ACCEPTED_WORDS} and upload that copy.")


def _rotation(video):
    for side in video.get("side_data_list") or []:
        if "rotation" in side:
            return round(-float(side["rotation"])) % 360
    try:
        return round(float(video.get("tags", {}).get("rotate", 0))) % 360
    except ValueError:
        return 0


def _fps(video):
    for key in ("avg_frame_rate", "r_frame_rate"):
        try:
            rate = Fraction(video.get(key) or "0/1")
        except (ValueError, ZeroDivisionError):
            continue
        if rate > 0:
            return round(float(rate), 3)
    return 0.0


def _tags(fmt, video, audio):
    tags = dict(fmt.get("tags") or {})
    for prefix, stream in (("video", video), ("audio", audio)):
        for name, value in ((stream or {}).get("tags") or {}).items():
            tags[f"{prefix}:{name}"] = value
    return tags


def _creation_time(tags):
    for name in ("creation_time", "video:creation_time", "com.apple.quicktime.creationdate",
                 "date"):
        if tags.get(name):
            return tags[name]
    return None
