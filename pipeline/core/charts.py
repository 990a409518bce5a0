"""Plotting helpers: each takes the matplotlib Axes (or Figure, for small
multiples) first and draws one chart from a trends table; the caller owns
the figure and saves it with :func:`save`.

The charts are read by people who have never seen the project, so each has
a title that says what is shown, labelled axes with units, and a source note.
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

STYLE = Path(__file__).resolve().parents[1] / "style" / "charts.mplstyle"
ROLE_ORDER = ["member", "member as observer", "observer", "civil society", "other"]
MAX_ANNOTATED_COLUMNS = 30


def styled():
    """Context in which every figure is made, drawn and saved."""
    return plt.style.context(STYLE)


def new_figure(width: float, height: float) -> Figure:
    return plt.figure(figsize=(width, height), layout="constrained")


def tick_labels(groups: pd.DataFrame, *, width: int = 32) -> list[str]:
    """'Eleventh Annual Meeting\n2025-12-01' for each group, in time order."""
    return [f"{_shorten(label, width)}\n{date}" if date and date not in label and not date.startswith(label)
            else _shorten(label, width)
            for label, date in zip(groups["label"].astype(str), groups["start_date"].map(_text))]


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _thin_ticks(ax: Axes, labels: list[str], *, axis: str = "x", max_labels: int = 30) -> None:
    step = max(1, math.ceil(len(labels) / max_labels))
    positions = list(range(0, len(labels), step))
    shown = [labels[i] for i in positions]
    if axis == "x":
        ax.set_xticks(positions, shown, rotation=45 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center")
    else:
        ax.set_yticks(positions, shown)


def groups_of(theme_trends: pd.DataFrame) -> pd.DataFrame:
    return theme_trends.drop_duplicates("group_id").sort_values("order")[["group_id", "label", "start_date"]]


def theme_heatmap(ax: Axes, theme_trends: pd.DataFrame, *, unit: str = "meeting") -> None:
    """Share of sentences carrying each theme, theme x group (meeting, year, ...)."""
    if theme_trends.empty:
        return _say_empty(ax, "No sentences to count: no statement in the corpus could be read (see statements.parquet)")
    groups = groups_of(theme_trends)
    themes = theme_trends.drop_duplicates("theme")[["theme", "theme_label"]]
    grid = theme_trends.pivot(index="theme", columns="group_id", values="share").loc[themes["theme"], groups["group_id"]]
    values = grid.to_numpy(dtype=float) * 100
    top = float(np.nanmax(values)) if values.size and not np.isnan(values).all() else 0.0
    image = ax.imshow(np.nan_to_num(values, nan=0.0), aspect="auto", cmap="cividis", vmin=0, vmax=max(top, 1e-9))
    ax.grid(False)
    ax.set_yticks(range(len(themes)), themes["theme_label"])
    _thin_ticks(ax, tick_labels(groups))
    if len(groups) <= MAX_ANNOTATED_COLUMNS:
        decimals = 0 if top >= 10 else 1 if top >= 1 else 2  # enough digits to tell the cells apart
        for (i, j), v in np.ndenumerate(values):
            if not np.isnan(v):
                ax.text(j, i, "0" if v == 0 else f"{v:.{decimals}f}", ha="center", va="center", fontsize=7,
                        color="black" if v > 0.6 * top else "white")
    ax.set_xlabel(f"{unit.capitalize()} (in time order)")
    ax.set_title("Share of sentences that mention each theme (%)")
    ax.figure.colorbar(image, ax=ax, fraction=0.025, pad=0.01, label=f"% of the {unit}'s sentences")


def theme_lines(fig: Figure, theme_trends: pd.DataFrame, *, columns: int = 4, unit: str = "meeting") -> None:
    """One small panel per theme: share over time with its 95% interval."""
    if theme_trends.empty:
        return _say_empty(fig.add_subplot(), "No sentences to count: no statement in the corpus could be read")
    groups = groups_of(theme_trends)
    themes = theme_trends.drop_duplicates("theme")[["theme", "theme_label"]].to_records(index=False)
    rows = math.ceil(len(themes) / columns)
    axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    x = np.arange(len(groups))
    dates = groups["start_date"].map(_text)
    labels = list(dates) if dates.ne("").all() and dates.is_unique else tick_labels(groups, width=18)
    for ax, (theme, label) in zip(axes.flat, themes):
        t = theme_trends[theme_trends["theme"] == theme].set_index("group_id").loc[groups["group_id"]]
        share = t["share"].to_numpy(dtype=float) * 100
        ax.fill_between(x, t["share_low"].to_numpy(dtype=float) * 100, t["share_high"].to_numpy(dtype=float) * 100,
                        color="#0072B2", alpha=0.18, linewidth=0)
        ax.plot(x, share, color="#0072B2", marker="o" if len(x) <= 30 else None, markersize=3, linewidth=1.4)
        ax.set_title("\n".join(textwrap.wrap(label, 30)), fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    top = float(np.nanmax(theme_trends["share_high"].to_numpy(dtype=float))) * 100 if len(theme_trends) else 1.0
    axes.flat[0].set_ylim(0, max(top, 1e-3) * 1.05)  # shared by all panels: the same scale everywhere
    for ax in axes.flat[len(themes):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of sentences")
    for ax in axes.flat[max(0, len(themes) - columns):len(themes)]:
        ax.xaxis.set_tick_params(labelbottom=True)
        _thin_ticks(ax, labels, max_labels=6)
        for tick in ax.get_xticklabels():
            tick.set_fontsize(6.5)
            tick.set_rotation(45)
            tick.set_horizontalalignment("right")
    fig.suptitle(f"How often each theme comes up, {unit} by {unit} (line: share of sentences; band: 95% interval)",
                 x=0.01, ha="left", fontweight="bold", fontsize=11)


def _say_empty(ax: Axes, message: str) -> None:
    """An empty chart that says why it is empty (a reader should never guess)."""
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, fontsize=11, color="#555555")
    ax.set_xticks([])
    ax.set_yticks([])


def attendance_bars(ax: Axes, attendance_trends: pd.DataFrame, groups: pd.DataFrame) -> None:
    """Participants listed per meeting, stacked by role."""
    ax.set_title("Who attended: participants listed in each meeting's statement, by role")
    ax.set_ylabel("Participants listed")
    if attendance_trends.empty:
        return _say_empty(ax, "No participant lists were found in these statements.")
    shown = groups[groups["group_id"].isin(attendance_trends["group_id"])]
    pivot = attendance_trends.pivot_table(index="group_id", columns="role", values="participants", aggfunc="sum",
                                          fill_value=0).reindex(shown["group_id"])
    roles = [r for r in ROLE_ORDER if r in pivot.columns] + sorted(set(pivot.columns) - set(ROLE_ORDER))
    bottom = np.zeros(len(pivot))
    x = np.arange(len(pivot))
    for role in roles:
        values = pivot[role].to_numpy(dtype=float)
        bars = ax.bar(x, values, bottom=bottom, label=role, width=0.6)
        ax.bar_label(bars, labels=[f"{v:.0f}" if v else "" for v in values], label_type="center", fontsize=8,
                     color="white")
        bottom += values
    _thin_ticks(ax, tick_labels(shown))
    pad = max(0.8, (5 - len(pivot)) / 2)  # a lone meeting gets a bar in the middle, not a wall
    ax.set_xlim(-pad, len(pivot) - 1 + pad)
    ax.set_xlabel("Meeting")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], title="Role", loc="upper left", bbox_to_anchor=(1.0, 1.0))  # as stacked


def actor_theme_matrix(ax: Axes, actor_themes: pd.DataFrame, theme_labels: dict[str, str], *, top: int = 20) -> None:
    """Sentences in which a state or organisation is named beside a theme."""
    ax.set_title(f"Who raises what: sentences naming a state or organisation (top {top}) together with a theme")
    if actor_themes.empty:
        return _say_empty(ax, "No sentence names an actor together with a theme.")
    totals = actor_themes.groupby("canonical_id")["sentences"].sum().sort_values(ascending=False, kind="stable")
    actors = sorted(totals.index, key=lambda a: (-totals[a], a))[:top]
    names = actor_themes.drop_duplicates("canonical_id").set_index("canonical_id")["name"]
    themes = [t for t in theme_labels if t in set(actor_themes["theme"])]
    grid = actor_themes.pivot_table(index="canonical_id", columns="theme", values="sentences", aggfunc="sum",
                                    fill_value=0).reindex(index=actors, columns=themes, fill_value=0)
    values = grid.to_numpy(dtype=float)
    image = ax.imshow(values, aspect="auto", cmap="cividis", vmin=0, vmax=max(1.0, float(values.max())))
    ax.grid(False)
    ax.set_yticks(range(len(actors)), [names[a] for a in actors])
    ax.set_xticks(range(len(themes)), [theme_labels[t] for t in themes], rotation=40, ha="right")
    threshold = 0.6 * image.norm.vmax
    for (i, j), v in np.ndenumerate(values):
        if v:
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7.5, color="black" if v > threshold else "white")
    ax.set_xlabel("Theme")
    ax.set_ylabel("State or organisation")
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.025, pad=0.01, label="Sentences")
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()


COMPARE_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"]


def theme_compare_lines(fig: Figure, compare: pd.DataFrame, *, by: str, unit: str = "meeting", columns: int = 4,
                        themes_shown: int = 8, min_sentences: int = 100) -> None:
    """Small multiples for the themes with most sentences: one line per
    compared value (party, speaker, series), share over the groups in time
    order; a gap where a value has fewer than ``min_sentences`` sentences in
    a group (a share of a handful of sentences is noise; the table has it)."""
    groups = compare.drop_duplicates("group_id").sort_values("order")
    x_of = {g: i for i, g in enumerate(groups["group_id"])}
    totals = compare.groupby("theme")["sentences_with_theme"].sum()
    labels_of = dict(zip(compare["theme"], compare["theme_label"]))
    shown = sorted(totals.index, key=lambda t: (-totals[t], t))[:themes_shown]
    values = sorted(compare["compare"].unique(), key=lambda v: (v == "other", v.startswith("no "), v))
    rows = math.ceil(len(shown) / columns)
    axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for ax, theme in zip(axes.flat, shown):
        t = compare[compare["theme"] == theme]
        for colour, value in zip(COMPARE_COLOURS, values):
            v = t[(t["compare"] == value) & (t["sentences"] >= min_sentences)]
            y = np.full(len(x_of), np.nan)
            y[[x_of[g] for g in v["group_id"]]] = v["share"].to_numpy(dtype=float) * 100
            ax.plot(np.arange(len(x_of)), y, color=colour, linewidth=1.2, marker="o" if len(x_of) <= 30 else None,
                    markersize=2.5, label=value)
        ax.set_title("\n".join(textwrap.wrap(labels_of[theme], 30)), fontsize=9)
    for ax in axes.flat[len(shown):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of sentences")
    labels = tick_labels(groups, width=18)
    for ax in axes.flat[max(0, len(shown) - columns):len(shown)]:
        ax.xaxis.set_tick_params(labelbottom=True)
        _thin_ticks(ax, labels, max_labels=6)
        for tick in ax.get_xticklabels():
            tick.set_fontsize(6.5)
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right upper", fontsize=8, frameon=False, title=by.capitalize())
    fig.suptitle(f"Themes by {by}, {unit} by {unit} (share of that {by}'s sentences; gaps: under "
                 f"{min_sentences} sentences)", x=0.01, ha="left", fontweight="bold", fontsize=11)


def source_note(fig: Figure, text: str) -> None:
    fig.text(0.01, -0.02, text, ha="left", va="top", fontsize=7.5, color="#444444", wrap=True)


def save(fig: Figure) -> dict[str, bytes]:
    """PNG and SVG bytes with fixed metadata, so the same data gives the same bytes."""
    out = {}
    for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, metadata=metadata)
        out[fmt] = buffer.getvalue()
    plt.close(fig)
    return out
