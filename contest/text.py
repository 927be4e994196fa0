"""Text shown to people: sanitized Markdown, dates and durations."""
import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
}


def markdown(source):
    """Markdown to HTML that is safe to show: no raw HTML, no scripts, nofollow links."""
    html = _md.render(source or "")
    # Headings start at h2: the page title is the only h1.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
    )
    return Markup(clean)


def when(value):
    """A UTC time as people read it, e.g. '3 Mar 2027, 18:00 UTC'."""
    if value is None:
        return ""
    return value.strftime("%-d %b %Y, %H:%M UTC")


def duration(seconds):
    """Seconds as m:ss."""
    if seconds is None:
        return ""
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
