"""Tiny server-drawn SVG charts: daily bars and a line, no JavaScript."""
from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 180, 36, 22, 10


def _frame(series, title, body):
    """The SVG around a plot: the title, the top value and the first and last days."""
    top = max((value for _, value in series), default=0)
    first, last = (series[0][0], series[-1][0]) if series else ("", "")
    total = sum(value for _, value in series)
    label = f"{title}: {total} in total, at most {top} a day"
    if series:
        label += f", from {first} to {last}"
    base = HEIGHT - PAD_BOTTOM
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<line class="axis" x1="{PAD_LEFT}" y1="{base}" x2="{WIDTH}" y2="{base}"/>'
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{PAD_TOP + 8}" text-anchor="end">{top}</text>'
        f'<text class="tick" x="{PAD_LEFT - 4}" y="{base}" text-anchor="end">0</text>'
        f'<text class="tick" x="{PAD_LEFT}" y="{HEIGHT - 4}">{escape(first)}</text>'
        f'<text class="tick" x="{WIDTH - 2}" y="{HEIGHT - 4}" text-anchor="end">'
        f"{escape(last)}</text>"
        f"{body}</svg>")


def _scale(series):
    top = max((value for _, value in series), default=0) or 1
    step = (WIDTH - PAD_LEFT) / max(len(series), 1)
    height = HEIGHT - PAD_BOTTOM - PAD_TOP
    return top, step, height


def bar_chart(series, title):
    """series: [(day, value)]; one bar a day, each with its own tooltip."""
    top, step, height = _scale(series)
    base = HEIGHT - PAD_BOTTOM
    bars = []
    for i, (day, value) in enumerate(series):
        h = height * value / top
        bars.append(f'<rect class="bar" x="{PAD_LEFT + i * step + step * 0.1:.1f}" '
                    f'y="{base - h:.1f}" width="{max(step * 0.8, 1):.1f}" height="{h:.1f}">'
                    f"<title>{escape(day)}: {value}</title></rect>")
    return _frame(series, title, "".join(bars))


def line_chart(series, title):
    """series: [(day, value)]; a polyline with a dot (and tooltip) per day."""
    top, step, height = _scale(series)
    base = HEIGHT - PAD_BOTTOM
    points = [(PAD_LEFT + i * step + step / 2, base - height * value / top)
              for i, (_, value) in enumerate(series)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="2.5">'
                   f"<title>{escape(day)}: {value}</title></circle>"
                   for (x, y), (day, value) in zip(points, series, strict=True))
    return _frame(series, title, f'<polyline class="line" points="{line}"/>{dots}')
