"""The phone check: which phone recorded a film, and is it one the contest accepts.

Phones write make and model in different tags (QuickTime keys, Android keys,
udta ©mak/©mod that ffprobe calls make/model, vendor keys like Xiaomi's market
name). A missing model is common on Android and proves nothing by itself, so
the verdict is 'unknown' then; the contest's policy decides what that means.
"""
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contest import clock

VERIFIED, MISMATCH, UNKNOWN = "verified", "mismatch", "unknown"
# Tag names (the last dotted part, lower case) that name the maker or the model.
MAKE_FIELDS = {"make", "manufacturer", "brand", "©mak"}
MODEL_FIELDS = {"marketname", "market_name", "model", "©mod"}
# Tags kept as evidence beside make and model: OS version, camera software.
HINT_TAGS = {"com.android.version", "com.apple.quicktime.software", "software"}
# A creation time this far outside the entry window still counts as inside:
# phones that write local time as UTC are off by up to 14 hours.
CREATION_GRACE = timedelta(days=1)

MAKE_ALIASES = {"appleinc": "apple", "appleinc.": "apple", "hmdglobal": "nokia", "hmd": "nokia",
                "lge": "lg", "lgelectronics": "lg", "motorolamobility": "motorola",
                "sonymobile": "sony", "sonyericsson": "sony", "samsungelectronics": "samsung"}
# Words that start a model name only when they are the maker ("Nokia N8-00").
VENDORS = {"apple", "nokia", "samsung", "google", "xiaomi", "huawei", "honor", "oneplus",
           "sony", "motorola", "oppo", "vivo", "realme", "lg", "htc", "asus", "nothing",
           "fairphone", "hmd"}
# Other names of the same phone: (make, model key) -> model key.
MODEL_ALIASES = {
    "nokia": {"n8": "n8-00", "rm-596": "n8-00"},
    "apple": {"iphone5,1": "iphone5", "iphone5,2": "iphone5", "iphone7,2": "iphone6",
              "iphone8,1": "iphone6s", "iphone13,4": "iphone12promax",
              "iphone15,2": "iphone14pro", "iphone16,1": "iphone15pro"},
    "samsung": {"sm-g991": "galaxys21", "sm-g996": "galaxys21+", "sm-g998": "galaxys21ultra",
                "sm-s901": "galaxys22", "sm-s906": "galaxys22+", "sm-s908": "galaxys22ultra",
                "sm-s911": "galaxys23", "sm-s916": "galaxys23+", "sm-s918": "galaxys23ultra",
                "sm-s921": "galaxys24", "sm-s926": "galaxys24+", "sm-s928": "galaxys24ultra"},
    "xiaomi": {"23127pn0cg": "14", "23127pn0cc": "14"},
    "google": {"gkws6": "pixel8", "g9bqd": "pixel8", "gc3ve": "pixel8pro", "g1mnw": "pixel8pro"},
}
_ANY_ALIAS = {k: v for table in MODEL_ALIASES.values() for k, v in table.items()}
# Software and encoder names that show a film went through an editor or a re-encode.
EDITOR_SIGNS = {
    r"\blavf|\blavc|videohandler|soundhandler": "FFmpeg", r"handbrake": "HandBrake",
    r"premiere": "Adobe Premiere", r"adobe": "Adobe", r"imovie": "iMovie",
    r"final ?cut": "Final Cut", r"capcut": "CapCut", r"davinci|resolve": "DaVinci Resolve",
    r"inshot": "InShot", r"kinemaster": "KineMaster", r"filmora": "Filmora",
    r"shotcut": "Shotcut", r"openshot": "OpenShot", r"avidemux": "Avidemux",
    r"clipchamp": "Clipchamp", r"vegas": "Vegas", r"videoleap": "Videoleap",
    r"\bsplice\b": "Splice", r"\bquik\b": "Quik", r"\bvn\b": "VN", r"x26[45]": "x264/x265",
}
# Tags apps write about themselves; free text (title, comment) would give false alarms.
EDITOR_TAGS = {"encoder", "software", "tool", "encoded_by", "encoding_tool",
               "writing_application", "handler_name", "©too"}


@dataclass
class DeviceCheck:
    make: str | None
    model: str | None
    verdict: str
    evidence: dict = field(default_factory=dict)


def tag_field(name):
    """'video:com.apple.quicktime.Make-eng' -> ('com.apple.quicktime.make', 'make')."""
    name = name.split(":", 1)[1] if name.startswith(("video:", "audio:")) else name
    name = re.sub(r"-[a-z]{3}(-[a-z]{2})?$", "", name.lower())
    return name, name.rsplit(".", 1)[-1]


def device_tags(tags):
    """([make values], [model values], raw device tags): market names before models."""
    makes, models, markets, raw = [], [], [], {}
    for name, value in tags.items():
        full, last = tag_field(name)
        value = str(value).strip()
        if not value or (last not in MAKE_FIELDS | MODEL_FIELDS and full not in HINT_TAGS):
            continue
        raw[name] = value
        bucket = makes if last in MAKE_FIELDS else markets if "market" in last else models
        if full not in HINT_TAGS and value not in bucket:
            bucket.append(value)
    return makes, markets + models, raw


def read_device(tags):
    """(make, model, raw device tags) from probe tags; None where the file says nothing."""
    makes, models, raw = device_tags(tags)
    return (makes[0] if makes else None), (models[0] if models else None), raw


def _compact(text):
    return re.sub(r"[^a-z0-9+,\-]", "", (text or "").lower())


def normalize(make, model):
    """A comparable (make, model) key: case, spaces, vendor prefix and aliases ironed out.

    normalize("NOKIA", "Nokia N8") == normalize("Nokia", "N8-00") == ("nokia", "n8-00").
    Either part may be None when unknown.
    """
    make_key = _compact(make) or None
    make_key = MAKE_ALIASES.get(make_key, make_key)
    words = (model or "").split()
    first = MAKE_ALIASES.get(_compact(words[0]), _compact(words[0])) if words else None
    if len(words) > 1 and (first == make_key or (make_key is None and first in VENDORS)):
        make_key, words = first, words[1:]
    model_key = _compact(" ".join(words)) or None
    aliases = MODEL_ALIASES.get(make_key, {}) if make_key else _ANY_ALIAS
    if model_key and make_key == "samsung":
        model_key = re.sub(r"^(sm-[a-z]\d{3})[a-z0-9]*(/ds)?$", r"\1", model_key)
    return make_key, aliases.get(model_key, model_key)


def phone_keys(phone):
    """Every key an accepted phone goes by: its own name and its aliases."""
    names = [phone.model, *(phone.aliases or [])]
    return {normalize(phone.make, name) for name in names if name}


def same_phone(found, wanted):
    """Models equal, and makes equal wherever the file names one."""
    return found[1] == wanted[1] and found[0] in (None, wanted[0])


def check_device(probe_result, contest, now=None):
    """Compare the phone the file names with the contest's accepted phones."""
    makes, models, raw = device_tags(probe_result.tags)
    make = makes[0] if makes else None
    found = [normalize(make, model) for model in models]
    matched = next((phone for phone in contest.phones
                    if any(same_phone(key, want) for key in found
                           for want in phone_keys(phone))), None)
    verdict = _verdict(matched, found, make, contest.phones)
    evidence = {
        "device_tags": raw,
        "matched_phone": _label(matched) if matched else None,
        "accepted_phones": [_label(phone) for phone in contest.phones],
        **creation_evidence(probe_result.creation_time, contest, now),
        **editor_evidence(probe_result.tags),
        "rotation": probe_result.rotation,
        "fps": probe_result.fps,
    }
    return DeviceCheck(make=make, model=models[0] if models else None,
                       verdict=verdict, evidence=evidence)


def _label(phone):
    return f"{phone.make} {phone.model}"


def _verdict(matched, found, make, phones):
    if matched:
        return VERIFIED
    if found:
        return MISMATCH
    # A maker none of the accepted phones comes from settles it even without a model.
    if make and normalize(make, None)[0] not in {normalize(p.make, None)[0] for p in phones}:
        return MISMATCH
    return UNKNOWN


def creation_evidence(creation_time, contest, now=None):
    """The file's creation time and whether it falls inside the contest's entry window."""
    now = now or clock.now()
    start = contest.submissions_open_at - CREATION_GRACE
    end = now + CREATION_GRACE
    created = parse_time(creation_time)
    return {
        "creation_time": creation_time,
        "created_in_window": None if created is None else start <= created <= end,
        "window": {"start": start.isoformat(), "end": end.isoformat()},
    }


def parse_time(value):
    """An ISO time from a tag as naive UTC, or None when it is missing or unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def editor_evidence(tags):
    """Software and encoder tags that show an editing app or a re-encode."""
    signs = []
    for name, value in tags.items():
        if tag_field(name)[1] not in EDITOR_TAGS:
            continue
        for pattern, editor in EDITOR_SIGNS.items():
            if re.search(pattern, str(value), re.IGNORECASE):
                signs.append({"tag": name, "value": str(value), "editor": editor})
                break
    return {"editor_signs": signs, "edited": bool(signs)}
