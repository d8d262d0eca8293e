"""Inline SVG charts for the HTML report: plain SVG strings, every text escaped.

Plain SVG keeps the page small (a few kilobytes per chart instead of a JavaScript chart library
of several hundred), renders without scripts, works offline and prints sharply.
"""
from __future__ import annotations

from html import escape

from markupsafe import Markup

from .labels import colour

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif"


def _t(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def stacked_bar(counts: list[tuple[str, int]], *, width: int = 960, height: int = 34) -> Markup:
    """One horizontal bar split by label (counts per characterization), labels inside wide segments."""
    total = sum(n for _, n in counts)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" style="{FONT}" '
             f'aria-label="practice instances per characterization">']
    if not total:
        parts.append(f'<rect width="{width}" height="{height}" rx="4" fill="#EEF1F4"/>'
                     f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" font-size="12" fill="#555">'
                     f'no practice assessed</text></svg>')
        return Markup("".join(parts))
    x = 0.0
    for label, n in counts:
        if not n:
            continue
        w = width * n / total
        fill, ink = colour(label)
        parts.append(f'<g><title>{_t(label)}: {n} ({n / total:.0%})</title>'
                     f'<rect x="{x:.2f}" y="0" width="{w:.2f}" height="{height}" fill="#{fill}"/>')
        if w > 44:
            parts.append(f'<text x="{x + w / 2:.2f}" y="{height / 2 + 5}" text-anchor="middle" font-size="13" '
                         f'font-weight="600" fill="#{ink}">{_t(label)} {n}</text>')
        parts.append("</g>")
        x += w
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_rows(rows: list[dict], *, width: int = 960, label_width: int = 300, row_height: int = 22,
             note_width: int = 150) -> Markup:
    """Horizontal bars, one per row: ``label``, ``value`` (0..1 or None), ``fill`` (hex),
    optional ``note`` (right of the bar), ``chip`` (label, fill, ink) before the bar, ``title``
    (tooltip) and ``group`` (a heading row above the first row of each group)."""
    chip_w = 34
    note_w = note_width
    fit = max(8, int((label_width - 10) / 7.2))  # characters that fit left of the bar at 12px
    bar_x = label_width + chip_w + 8
    bar_w = width - bar_x - note_w
    y = 6
    body = []
    group = None
    for r in rows:
        if r.get("group") is not None and r["group"] != group:
            group = r["group"]
            y += 6
            body.append(f'<text x="0" y="{y + 12}" font-size="12" font-weight="700" fill="#1F2933">'
                        f'{_t(_clip(group, int(width / 7)))}</text>')
            y += row_height
        value = r.get("value")
        mid = y + row_height / 2
        body.append(f'<g><title>{_t(r.get("title") or r["label"])}</title>')
        body.append(f'<text x="{label_width - 6}" y="{mid + 4}" text-anchor="end" font-size="12" fill="#1F2933">'
                    f'{_t(_clip(r["label"], fit))}</text>')
        chip = r.get("chip")
        if chip:
            text, fill, ink = chip
            body.append(f'<rect x="{label_width}" y="{y + 3}" width="{chip_w}" height="{row_height - 6}" rx="3" '
                        f'fill="#{fill}"/><text x="{label_width + chip_w / 2}" y="{mid + 4}" text-anchor="middle" '
                        f'font-size="11" font-weight="600" fill="#{ink}">{_t(text)}</text>')
        body.append(f'<rect x="{bar_x}" y="{y + 4}" width="{bar_w}" height="{row_height - 8}" rx="3" fill="#EEF1F4"/>')
        if value is not None:
            w = max(0.0, min(1.0, float(value))) * bar_w
            if w > 0:
                body.append(f'<rect x="{bar_x}" y="{y + 4}" width="{w:.2f}" height="{row_height - 8}" rx="3" '
                            f'fill="#{r.get("fill", "2F6FB3")}"/>')
        pct = "n/a" if value is None else f"{float(value) * 100:.0f}%"
        note = f"{pct}  {r['note']}" if r.get("note") else pct
        body.append(f'<text x="{bar_x + bar_w + 8}" y="{mid + 4}" font-size="12" fill="#1F2933">{_t(note)}</text></g>')
        y += row_height
    height = y + 6
    return Markup(f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img" style="{FONT}">'
                  + "".join(body) + "</svg>")


def ring(value: float | None, *, size: int = 60) -> Markup:
    """A small coverage ring with the percentage in the middle."""
    r = size / 2 - 6
    c = 2 * 3.141592653589793 * r
    frac = 0.0 if value is None else max(0.0, min(1.0, float(value)))
    text = "n/a" if value is None else f"{frac * 100:.0f}%"
    half = size / 2
    return Markup(
        f'<svg class="ring" viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" style="{FONT}">'
        f'<circle cx="{half}" cy="{half}" r="{r:.2f}" fill="none" stroke="#E3E8EE" stroke-width="8"/>'
        f'<circle cx="{half}" cy="{half}" r="{r:.2f}" fill="none" stroke="#2F6FB3" stroke-width="8" '
        f'stroke-dasharray="{c * frac:.2f} {c:.2f}" transform="rotate(-90 {half} {half})"/>'
        f'<title>coverage {_t(text)}</title></svg>')


def histogram(bins: list[tuple[str, int]], *, width: int = 760, height: int = 220, fill: str = "2F6FB3",
              title: str = "projects per coverage band") -> Markup:
    """Vertical bars, one per bin (label, count), the count above each bar and the label below."""
    left, bottom, top = 36, 34, 18
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((n for _, n in bins), default=0)
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" role="img" style="{FONT}" '
             f'aria-label="{_t(title)}">']
    if not bins or not peak:
        parts.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" rx="4" fill="#EEF1F4"/>'
                     f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2 + 4}" text-anchor="middle" font-size="12" '
                     f'fill="#555">no project has a coverage figure</text></svg>')
        return Markup("".join(parts))
    step = -(-peak // 4)  # whole-project grid lines, at most five
    peak = step * -(-peak // step)
    for k in range(0, peak + 1, step):
        y = top + plot_h - plot_h * k / peak
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.2f}" y2="{y:.2f}" stroke="#E3E8EE"/>'
                     f'<text x="{left - 6}" y="{y + 4:.2f}" text-anchor="end" font-size="10" fill="#5B6B7B">'
                     f'{k}</text>')
    slot = plot_w / len(bins)
    bar = slot * 0.72
    for i, (label, n) in enumerate(bins):
        x = left + i * slot + (slot - bar) / 2
        h = plot_h * n / peak
        y = top + plot_h - h
        parts.append(f'<g><title>{_t(label)}: {n} project(s)</title>'
                     f'<rect x="{x:.2f}" y="{y:.2f}" width="{bar:.2f}" height="{h:.2f}" rx="2" fill="#{fill}"/>')
        if n:
            parts.append(f'<text x="{x + bar / 2:.2f}" y="{y - 4:.2f}" text-anchor="middle" font-size="11" '
                         f'font-weight="600" fill="#1F2933">{n}</text>')
        parts.append(f'<text x="{x + bar / 2:.2f}" y="{top + plot_h + 15}" text-anchor="middle" font-size="10.5" '
                     f'fill="#3B4A59">{_t(label)}</text></g>')
    parts.append(f'<text x="{left + plot_w / 2}" y="{height - 3}" text-anchor="middle" font-size="11" fill="#5B6B7B">'
                 f'coverage (share of required work products with adequate evidence)</text></svg>')
    return Markup("".join(parts))
