"""Charts: drawn on the caller's axes, the same data giving the same bytes."""

from __future__ import annotations

import pandas as pd

from pipeline.core import charts


def trends(shares: list[float]) -> pd.DataFrame:
    rows = []
    for order, share in enumerate(shares):
        for theme, factor in (("fishing", 1.0), ("scam_centres", 0.5)):
            rows.append({"group_id": f"G{order}", "label": f"G{order}", "title": f"Meeting {order}",
                         "start_date": f"202{order}-01-01", "order": order, "theme": theme, "theme_label": theme,
                         "share": share * factor, "share_low": 0.0, "share_high": min(1.0, share * factor + 0.1),
                         "sentences_with_theme": 1, "sentences": 10})
    return pd.DataFrame(rows)


def heatmap_bytes(df: pd.DataFrame) -> dict[str, bytes]:
    with charts.styled():
        fig = charts.new_figure(6, 4)
        charts.theme_heatmap(fig.add_subplot(), df)
        return charts.save(fig)


def test_the_heatmap_has_one_row_per_theme_and_one_column_per_meeting_in_time_order():
    with charts.styled():
        fig = charts.new_figure(6, 4)
        ax = fig.add_subplot()
        charts.theme_heatmap(ax, trends([0.1, 0.3, 0.2]))
        assert [t.get_text() for t in ax.get_yticklabels()] == ["fishing", "scam_centres"]
        assert ax.images[0].get_array().shape == (2, 3)


def test_the_same_data_gives_byte_identical_png_and_svg_and_other_data_does_not():
    first, again = heatmap_bytes(trends([0.1, 0.3])), heatmap_bytes(trends([0.1, 0.3]))
    assert first == again
    assert heatmap_bytes(trends([0.1, 0.4]))["svg"] != first["svg"]
