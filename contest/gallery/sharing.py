"""What a film page shows other sites: absolute URLs, player sources, Open Graph and
Twitter card values, and the oEmbed answer. Built when a page is rendered."""
from urllib.parse import urljoin, urlsplit, urlunsplit

from flask import current_app, url_for
from markupsafe import escape

from contest import text
from contest.operations import film_page as ops
from contest.storage import get_storage

EMBED_BOX = 640  # the embed's default size fits in a square this wide
PROVIDER_NAME = "Shot on a phone"
LANGUAGES = {"en": "English", "fi": "Suomi", "sv": "Svenska", "de": "Deutsch", "fr": "Français",
             "es": "Español", "it": "Italiano", "pt": "Português", "nl": "Nederlands",
             "pl": "Polski", "ja": "日本語", "zh": "中文", "ar": "العربية", "hi": "हिन्दी"}


def external_url(endpoint, **values):
    """An absolute URL on the configured server name and scheme (else the request's)."""
    if current_app.config.get("SERVER_NAME"):
        values["_scheme"] = current_app.config.get("PREFERRED_URL_SCHEME") or "http"
    return url_for(endpoint, _external=True, **values)


def absolute(url):
    """Media URLs for other sites: local storage ones are put on the configured host."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and get_storage().backend != "local":
        return url
    return urljoin(external_url("gallery.index"), urlunsplit(("", "", parts.path, parts.query, "")))


def mid_rendition(renditions):
    """The largest rendition up to 720p (chat apps play it inline), else the smallest."""
    if not renditions:
        return None
    short = [(min(r["width"], r["height"]), r) for r in renditions]
    fits = [item for item in short if item[0] <= 720]
    return (max(fits, key=lambda i: i[0]) if fits else min(short, key=lambda i: i[0]))[1]


def player_for(film, media):
    renditions = media["renditions"]
    first = mid_rendition(renditions)
    size = renditions[0] if renditions else {"width": film.width, "height": film.height}
    return {
        "hls_url": media["hls_url"], "poster_url": media["poster_url"],
        # The mid-size MP4 first: browsers without HLS take the first source they can play.
        "sources": [first, *[r for r in renditions if r is not first]] if first else [],
        "download": renditions[-1]["url"] if renditions else None,
        "captions": captions_for(film), "width": size["width"], "height": size["height"],
    }


def captions_for(film):
    if not film.captions_key:
        return None
    lang = ops.captions_language(film)
    label = LANGUAGES.get(lang.split("-")[0].lower(), lang)
    return {"url": get_storage().url(film.captions_key), "lang": lang, "label": label}


def fit(width, height, max_width=EMBED_BOX, max_height=EMBED_BOX):
    """The film's aspect ratio inside a box (16:9 when unknown)."""
    width, height = width or 16, height or 9
    scale = min(max_width / width, max_height / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def poster_size(width, height):
    """The poster's size: the top rendition's, shorter side at most 720 (as transcode makes it)."""
    if not width or not height:
        return None, None
    scale = min(1, 720 / min(width, height))
    return round(width * scale), round(height * scale)


def sharing_for(film, media):
    """Canonical, Open Graph, Twitter card and oEmbed values: every URL absolute."""
    canonical = external_url("gallery.film", public_id=film.public_id)
    top = media["renditions"][0] if media["renditions"] else {"width": None, "height": None}
    video = mid_rendition(media["renditions"])
    poster = poster_size(top["width"], top["height"])
    embed_w, embed_h = fit(top["width"], top["height"])
    return {
        "canonical": canonical, "title": film.title, "description": summary(film),
        "embed_url": external_url("gallery.embed", public_id=film.public_id),
        "embed_width": embed_w, "embed_height": embed_h,
        "oembed_url": external_url("gallery.oembed", url=canonical, format="json"),
        "image": absolute(media["poster_url"]), "image_width": poster[0],
        "image_height": poster[1],
        "video": absolute(video["url"]) if video else None,
        "video_width": video["width"] if video else None,
        "video_height": video["height"] if video else None,
        "iframe": iframe_html(film, embed_w, embed_h), "author_url": author_url(film),
    }


def author_url(film):
    """The filmmaker's profile when the site has profiles, else their films on this page."""
    if "community.profile" in current_app.view_functions:
        return external_url("community.profile", public_id=film.owner.public_id)
    return external_url("gallery.film", public_id=film.public_id, _anchor="by-filmmaker")


def summary(film, limit=200):
    """The description as plain text for meta tags, or a sentence about the film."""
    plain = " ".join(text.markdown(film.description).striptags().split())
    if not plain:
        phone = f", shot on {film.device_make} {film.device_model}" if film.device_make else ""
        plain = f"A short film by {film.owner.display_name} for {film.contest.title}{phone}."
    return plain if len(plain) <= limit else plain[:limit - 1].rsplit(" ", 1)[0] + "…"


def iframe_html(film, width, height):
    src = external_url("gallery.embed", public_id=film.public_id)
    return (f'<iframe src="{escape(src)}" width="{width}" height="{height}" '
            f'title="{escape(film.title)}" frameborder="0" loading="lazy" '
            'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>')


def oembed_for(film, media, max_width=None, max_height=None):
    top = media["renditions"][0] if media["renditions"] else {"width": None, "height": None}
    width, height = fit(top["width"], top["height"], min(max_width or EMBED_BOX, EMBED_BOX),
                        min(max_height or EMBED_BOX, EMBED_BOX))
    share = sharing_for(film, media)
    body = {
        "version": "1.0", "type": "video", "title": film.title,
        "author_name": film.owner.display_name,
        "author_url": share["author_url"],
        "provider_name": PROVIDER_NAME, "provider_url": external_url("gallery.index"),
        "html": iframe_html(film, width, height), "width": width, "height": height,
    }
    if share["image"]:
        body.update(thumbnail_url=share["image"], thumbnail_width=share["image_width"],
                    thumbnail_height=share["image_height"])
    return body
