"""What a reader could misread in a drawn figure, found from the figure itself: a legend inside a panel that covers
its data, and text that overlaps other text. Every figure lrlab draws is checked as it is finished
(lrlab.plot.style.annotate): in the book build a problem stops the build, elsewhere it is a warning.

Rules, in order:
  1. A legend inside a panel covers no data point: no vertex of a line, no scatter point, no corner of a band
     (fill_between) drawn in data coordinates lies inside the legend's box.
  2. No two visible labels overlap: tick labels, axis labels, titles, text placed on the figure or a panel, legend
     entries (each text's box, shrunk by OVERLAP_SLACK pixels on every side, so that touching is not overlapping).
"""

import itertools
import os

import numpy as np
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.text import Text

OVERLAP_SLACK = 1.0  # pixels


def problems(fig) -> list[str]:
    """Rules 1 and 2 for a figure, as sentences naming the panel (by its title) and the labels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            covered = sum(legend.get_window_extent(renderer).contains(x, y) for x, y in _data_points(ax))
            if covered:
                found.append(f"panel {_name(ax)!r}: its legend covers {covered} data point(s); move it under the "
                             "panels (lrlab.plot.style.bottom_legend) or to an empty corner")
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in _labels(fig)]
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        if _overlap(box_a, box_b):
            found.append(f"labels {a!r} and {b!r} overlap")
    return found


def _data_points(ax) -> np.ndarray:
    """Every point the panel draws in data coordinates, in display pixels: line vertices, scatter points and the
    corners of bands. Lines across the whole panel (axvline, axhline: not in data coordinates) do not count."""
    points = [line.get_transform().transform(line.get_xydata()) for line in ax.get_lines()
              if line.get_visible() and line.get_transform() == ax.transData and len(line.get_xydata())]
    for collection in ax.collections:
        if not collection.get_visible():
            continue
        if isinstance(collection, PathCollection) and collection.get_offset_transform() == ax.transData:
            points.append(ax.transData.transform(collection.get_offsets()))
        elif isinstance(collection, PolyCollection) and collection.get_transform() == ax.transData:
            points += [ax.transData.transform(path.vertices) for path in collection.get_paths()]
    finite = [p[np.isfinite(p).all(axis=1)] for p in points if len(p)]
    return np.concatenate(finite) if finite else np.empty((0, 2))


def _labels(fig) -> list[Text]:
    """The texts a reader sees: visible, not empty, and (tick labels) at a tick inside its axis' view."""
    shown = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or text.get_alpha() == 0:
            continue
        shown.append(text)
    ticks = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
             for label in axis.get_ticklabels(which="both")}
    visible = {id(label) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis) for label in _ticks_in_view(axis)}
    return [text for text in shown if id(text) not in ticks or id(text) in visible]


def _ticks_in_view(axis) -> list[Text]:
    low, high = sorted(axis.get_view_interval())
    labels = []
    for which in ("major", "minor"):
        locs = axis.get_majorticklocs() if which == "major" else axis.get_minorticklocs()
        for loc, label in zip(locs, axis.get_ticklabels(which=which)):
            if low - 1e-12 * abs(high - low) <= loc <= high + 1e-12 * abs(high - low):
                labels.append(label)
    return labels


def _overlap(a, b) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > 2 * OVERLAP_SLACK
            and min(a.y1, b.y1) - max(a.y0, b.y0) > 2 * OVERLAP_SLACK)


def _name(ax) -> str:
    return ax.get_title() or ax.get_ylabel() or "untitled"


class FigureError(AssertionError):
    """A figure of the book could be misread (rules above): the book build refuses to publish it."""


def enforce(fig) -> None:
    """In the book build (lrlab.claims.strict()), raise a FigureError listing the figure's problems; with
    LRLAB_FIGURE_REPORT set, print them; elsewhere check nothing (a student's edited data may crowd a legend)."""
    from lrlab.claims import strict

    report = bool(os.environ.get("LRLAB_FIGURE_REPORT"))
    if not (strict() or report):
        return
    found = problems(fig)
    if found and strict() and not report:
        raise FigureError("a figure could be misread: " + "; ".join(found))
    for problem in found:
        print(f"figure problem: {problem}")
