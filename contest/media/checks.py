"""Screen an upload before it is entered: what it is, how big, and which phone made it."""
import os
from dataclasses import dataclass

from contest.media.device import VERIFIED, DeviceCheck, check_device
from contest.media.probe import MediaRefused, ProbeResult, probe

MIN_DURATION_S = 1.0
# A film cut to exactly the limit on a phone can come out a few frames longer.
DURATION_SLACK_S = 0.5
# Caps against decompression bombs, above anything a phone records (8K, 240 fps
# slow motion, a handful of metadata tracks).
MAX_FRAME_SIDE = 8192
MAX_FRAME_PIXELS = 8192 * 4320
MAX_FPS = 300
MAX_STREAMS = 16


@dataclass
class Screening:
    probe: ProbeResult
    device: DeviceCheck


def check_upload(path, contest, now=None):
    """Probe the file at path and apply the site's caps and the contest's rules.

    Raises MediaRefused with a reason for the filmmaker. contest.min_height is the
    number of lines on the shorter side of the displayed picture, so a portrait
    1080x1920 phone film meets a 720 minimum just as a landscape 1920x1080 does.
    With device_policy "reject" a film from another or an unknown phone is
    refused; with "flag" it is accepted and the verdict kept for the judges.
    """
    size = os.path.getsize(path) if os.path.isfile(path) else 0
    check_size(size, contest.max_size_mb)
    info = probe(path)
    check_caps(info)
    check_duration(info.duration_s, contest.max_duration_s)
    check_height(info, contest.min_height)
    device = check_device(info, contest, now)
    if contest.device_policy == "reject" and device.verdict != VERIFIED:
        raise MediaRefused(device_refusal(device))
    return Screening(probe=info, device=device)


def check_size(size_bytes, max_size_mb):
    if size_bytes > max_size_mb * 1024 * 1024:
        raise MediaRefused(f"This file is {_mb(size_bytes)}; this contest accepts files "
                           f"up to {max_size_mb} MB.")


def check_caps(info):
    """Refuse files whose stream count, frame size or frame rate no phone produces."""
    if info.stream_count > MAX_STREAMS:
        raise MediaRefused(f"This file has {info.stream_count} tracks; a phone video has "
                           f"a few, and we accept up to {MAX_STREAMS}.")
    side = max(info.coded_width, info.coded_height)
    if side > MAX_FRAME_SIDE or info.coded_width * info.coded_height > MAX_FRAME_PIXELS:
        raise MediaRefused(f"The picture is {info.width}x{info.height}, larger than any "
                           f"phone records; we accept up to 8K ({MAX_FRAME_SIDE} wide).")
    if info.fps > MAX_FPS:
        raise MediaRefused(f"This film runs at {info.fps:g} frames a second; we accept up "
                           f"to {MAX_FPS}.")


def check_duration(seconds, max_seconds):
    if seconds < MIN_DURATION_S:
        raise MediaRefused(f"This film is {seconds:.1f} seconds long; a film must last at "
                           "least one second.")
    if seconds > max_seconds + DURATION_SLACK_S:
        raise MediaRefused(f"This film is {_clock(seconds)} long; this contest accepts "
                           f"films up to {_clock(max_seconds)}.")


def check_height(info, min_height):
    lines = min(info.width, info.height)
    if lines < min_height:
        raise MediaRefused(f"The picture is {info.width}x{info.height}; this contest needs "
                           f"at least {min_height} lines on the shorter side "
                           f"({min_height}p).")


def device_refusal(device):
    phones = ", ".join(device.evidence.get("accepted_phones", []))
    if device.verdict == "mismatch":
        found = " ".join(part for part in (device.make, device.model) if part)
        return (f"This film was recorded on a {found}; this contest accepts films shot "
                f"on {phones}.")
    return ("We could not tell which phone recorded this film: the file names no phone "
            "(editing and messaging apps often remove it). This contest accepts films "
            f"shot on {phones}, uploaded straight from the phone.")


def _mb(size_bytes):
    return f"{size_bytes / (1024 * 1024):.1f} MB"


def _clock(seconds):
    """3725 -> '1 h 2 min 5 s'; 40 -> '40 seconds'."""
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if not hours and not minutes:
        return f"{secs} seconds"
    parts = [(hours, "h"), (minutes, "min"), (secs, "s")]
    return " ".join(f"{value} {unit}" for value, unit in parts if value)
