"""Small test clips made with real ffmpeg: lavfi testsrc2 plus the tags phones write."""
import subprocess
from pathlib import Path

# Tags each kind of phone writes, as ffmpeg -metadata options.
NOKIA_N8 = {"make": "Nokia", "model": "N8-00"}
ANDROID_PIXEL = {"com.android.manufacturer": "Google", "com.android.model": "Pixel 8"}
APPLE_IPHONE = {"com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 15 Pro"}
XIAOMI = {"com.xiaomi.product.marketname": "Xiaomi 14", "com.android.manufacturer": "Xiaomi"}


def make_clip(path, *, seconds=1.5, width=320, height=240, fps=24, audio=True, tags=None,
              rotate=None, container=None, extra=()):
    """Write a clip to path and return it. tags: {name: value} written with use_metadata_tags."""
    path = Path(path)
    cmd = ["ffmpeg", "-v", "error", "-y",
           "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        cmd += ["-c:a", "aac", "-b:a", "64k"]
    for name, value in (tags or {}).items():
        cmd += ["-metadata", f"{name}={value}"]
    if container:
        cmd += ["-f", container]
    if tags and (container or path.suffix.lstrip(".")) in ("mp4", "mov", "m4v", "3gp"):
        cmd += ["-movflags", "use_metadata_tags"]
    target = path.with_name("unrotated-" + path.name) if rotate is not None else path
    cmd += [*extra, str(target)]
    subprocess.run(cmd, check=True, capture_output=True)
    if rotate is not None:
        # Phones store rotation as a display matrix, which ffmpeg writes only on a copy.
        set_rotation(target, path, rotate)
        target.unlink()
    return path


def set_rotation(src, dst, degrees):
    """Copy src to dst with a display matrix turning it by degrees, as phones store it.

    ffmpeg 5.1 writes the matrix from a 'rotate' tag only when copying streams, so
    make_clip(rotate=...) (which encodes) leaves the picture unrotated.
    """
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-map", "0", "-c", "copy",
                    "-metadata:s:v:0", f"rotate={degrees}", *_keep_tags(dst), str(dst)],
                   check=True, capture_output=True)
    return Path(dst)


def _keep_tags(dst):
    return ["-movflags", "use_metadata_tags"] if Path(dst).suffix in (".mp4", ".mov") else []
