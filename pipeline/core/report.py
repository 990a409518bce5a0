"""The HTML report: one self-contained file (inline CSS and SVG, no scripts,
no network) that readers open from disk.

Every count in the theme table links to the evidence for it: the sentences,
as keyword-in-context lines with the matched words highlighted and the
statement named. The page's structure is the Jinja2 template
``pipeline/templates/report.html.j2`` (autoescaped); this module prepares the
numbers and texts it shows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .trends import wilson_interval

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:1.5rem;color:#1a1a1a;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ccc;padding-bottom:.2rem}
h3{margin-top:1.4rem}h4{margin:1rem 0 .3rem}
.lede{color:#444}.note{color:#555;font-size:.9rem}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9rem;color:#444}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:#aaa}
.kwic{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.82rem;width:100%;table-layout:fixed}
.kwic td{border:none;padding:.15rem .3rem}
.kwic col.l,.kwic col.r{width:40%}.kwic col.k{width:20%}
.kwic .left{text-align:right;white-space:nowrap;overflow:hidden;text-overflow:clip;direction:rtl}
.kwic .left span{direction:ltr;unicode-bidi:embed}
.kwic .key{text-align:center}
.kwic .right{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.kwic tr.src td{border-bottom:1px solid #eee;padding-bottom:.4rem}
mark{background:#ffe08a;padding:0 .1rem}
.src{color:#666;font-family:system-ui,sans-serif;font-size:.78rem}
nav a{margin-right:.8rem}
.wide{overflow-x:auto;max-width:100%}
"""



UNITS = {"meeting": ("meeting", "meetings"), "year": ("year", "years"), "series": ("series", "series"),
         "speaker": ("speaker", "speakers"), "party": ("party", "parties")}
HOW_GROUPED = {
    "meeting": "A statement's opening and closing passages count towards the meeting the statement reports; "
               "a dated section within a statement is a meeting of its own.",
    "year": "All statements of a calendar year are pooled; statements without a date form a group of their own.",
    "series": "All statements of a series are pooled.",
    "speaker": "All statements of a speaker are pooled; statements without a named speaker form a group of "
               "their own.",
    "party": "All statements of a party are pooled; statements without a party form a group of their own.",
}


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                       undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=False)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def text(value: object) -> str:
    return "" if _missing(value) else str(value)


def percent(value: float) -> str:
    return "" if _missing(value) else f"{100 * value:.1f}%"


def anchor(*parts: str) -> str:
    return "ev-" + re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts)).strip("-")


def inline_svg(svg: str, title: str) -> Markup:
    """An SVG file's markup for inlining: XML prolog and doctype removed, an
    accessible name added. The SVG is the charts stage's own output."""
    body = svg[svg.index("<svg"):]
    return Markup(body.replace("<svg", Markup('<svg role="img" aria-label="{}"').format(title), 1))


Segments = list[tuple[str, bool]]


def kwic(sentence: str, spans: list[tuple[int, int]], *, width: int = 70) -> tuple[Segments, Segments, Segments]:
    """(left, keyword, right) as (text, highlighted) pieces around the first
    match, later matches inside the right context highlighted too."""
    start, end = spans[0]
    left = sentence[max(0, start - width):start]
    if start > width:
        left = "\u2026" + left
    right_end = min(len(sentence), end + width)
    right, pos = [], end
    for s, e in spans[1:]:
        if s >= pos and e <= right_end:
            right += [(sentence[pos:s], False), (sentence[s:e], True)]
            pos = e
    right.append((sentence[pos:right_end] + ("\u2026" if right_end < len(sentence) else ""), False))
    return [(left, False)], [(sentence[start:end], True)], right


def _cell(value: object, col: str) -> str:
    if isinstance(value, float) and col.endswith(("share", "change")):
        return percent(value)
    if isinstance(value, float) and not math.isnan(value):
        return f"{value:.3g}" if col == "p_value" else f"{value:.2f}"
    return text(value)


def table_rows(df: pd.DataFrame, columns: list[str]) -> list[dict[str, str]]:
    return [{col: _cell(row[col], col) for col in columns} for _, row in df.iterrows()]


def theme_rows(theme_trends: pd.DataFrame) -> list[dict]:
    """Themes x groups: share and 'k of n sentences', each linked to its evidence."""
    rows = []
    for theme, t in theme_trends.groupby("theme", sort=False):
        cells = [{"k": int(r.sentences_with_theme), "n": int(r.sentences), "share": percent(r.share),
                  "low": percent(r.share_low), "high": percent(r.share_high),
                  "anchor": anchor(theme, str(r.group_id))} for r in t.sort_values("order").itertuples()]
        rows.append({"label": t.iloc[0]["theme_label"], "cells": cells})
    return rows


def evidence_sections(theme_trends: pd.DataFrame, evidence: pd.DataFrame, *, per_cell: int) -> list[dict]:
    """For each theme, and each group with the theme: its sentences as KWIC lines."""
    by_cell = {key: g for key, g in evidence.groupby(["theme", "group_id"], sort=False)}
    out = []
    for theme, t in theme_trends.groupby("theme", sort=False):
        cells = []
        for r in t.sort_values("order").itertuples():
            if not r.sentences_with_theme:
                continue
            rows = by_cell.get((theme, r.group_id))
            sentences = [] if rows is None else list(rows.groupby("sentence_id", sort=False))
            lines = []
            for sentence_id, mentions in sentences[:per_cell]:
                first = mentions.iloc[0]
                spans = sorted(set(zip(mentions["start"].astype(int), mentions["end"].astype(int))))
                left, key, right = kwic(str(first["sentence"]), spans)
                lines.append({"sentence_id": sentence_id, "sentence": first["sentence"], "left": left, "key": key,
                              "right": right, "statement": text(first["statement"]),
                              "rules": ", ".join(sorted(set(mentions["rule"])))})
            cells.append({"anchor": anchor(theme, str(r.group_id)), "title": text(r.title),
                          "start_date": text(r.start_date), "k": int(r.sentences_with_theme), "n": int(r.sentences),
                          "share": percent(r.share), "lines": lines, "group_id": r.group_id,
                          "more": len(sentences) if len(sentences) > per_cell else 0})
        out.append({"id": theme, "anchor": anchor(theme), "label": t.iloc[0]["theme_label"],
                    "total": int(t["sentences_with_theme"].sum()), "cells": cells})
    return out


def candidates(topics: pd.DataFrame, examples: pd.DataFrame) -> list[dict] | None:
    """Growing topics outside the codebook, with their typical sentences (None: no topics at all)."""
    if topics.empty:
        return None
    chosen = topics[topics["candidate"].astype(str) == "True"].sort_values(["growth", "topic"],
                                                                           ascending=[False, True])
    return [{"topic": t.topic, "label": t.label, "sentences": t.sentences, "growth": f"{100 * t.growth:+.2f}",
             "best_theme": text(t.best_theme) or "none", "overlap": f"{100 * t.overlap:.0f}%", "top_terms": t.top_terms,
             "examples": [{"text": r.text, "sentence_id": r.sentence_id}
                          for r in examples[examples["topic"] == t.topic].sort_values("rank").itertuples()]}
            for t in chosen.itertuples()]


def trust_rows(evaluation: Mapping, per_theme: pd.DataFrame | None = None) -> dict:
    """The evaluate stage's headline figures as table rows (held-out files
    first; files the codebook was written against flagged), each theme's F1
    with its interval on the held-out files (else on all), coders' alpha and
    the learning curve."""
    rows = []
    for kind, judged in (("held_out", "held out"), ("written_against", "codebook written against it")):
        files = evaluation.get(kind)
        for name, h in (files.items() if isinstance(files, Mapping) else []):
            rows.append({"file": name, "judged": judged, "sentences": f"{h['sentences']:,}",
                         "precision": f"{h['precision']:.2f}", "recall": f"{h['recall']:.2f}",
                         "f1": f"{h['f1']:.2f} ({h['f1_95'][0]:.2f}\u2013{h['f1_95'][1]:.2f})",
                         "model_f1": f"{h['model_f1']:.2f}" if "model_f1" in h else "",
                         "combined_f1": f"{h['combined_f1']:.2f}" if "combined_f1" in h else ""})
    held = evaluation.get("held_out")
    themes = []
    if per_theme is not None and not per_theme.empty:
        rules = per_theme[per_theme["tagger"] == "rules"]
        held_names = set(held) if isinstance(held, Mapping) else set()
        chosen = rules[rules["gold_file"].isin(held_names)] if held_names else rules
        alpha = (evaluation.get("coders") or {}).get("alpha", {})
        for theme, t in chosen.groupby("theme", sort=True):
            t = t.sort_values("support", ascending=False).iloc[0]
            if not t["support"]:
                continue
            interval = "" if pd.isna(t.get("f1_low")) else f" ({t['f1_low']:.2f}\u2013{t['f1_high']:.2f})"
            themes.append({"theme": theme, "file": t["gold_file"], "support": f"{int(t['support'])}",
                           "f1": f"{t['f1']:.2f}{interval}",
                           "alpha": "" if alpha.get(theme) is None else f"{alpha[theme]:.2f}"})
    curve = [{"labels": f"{p['labels']:,}", "share": f"{100 * p['share']:.0f}%", "model_f1": f"{p['model_f1']:.2f}"}
             for p in evaluation.get("learning_curve", [])]
    return {"rows": rows, "note": held if isinstance(held, str) else "", "themes": themes, "curve": curve,
            "held_out": bool(held_names) if per_theme is not None and not per_theme.empty else False}


def codebook_edit(diff: pd.DataFrame | None, shares: pd.DataFrame | None, *, shown: int = 30) -> dict | None:
    """What the last codebook edit changed (the compare stage): per theme the
    sentences gained and lost, the largest changes of share with both
    intervals, and the first sentences gained or lost with their evidence."""
    if diff is None or diff.empty:
        return None
    counts = diff.groupby(["theme", "change"]).size().unstack(fill_value=0)
    themes = [{"theme": t, "gained": f"{int(r.get('gained', 0))}", "lost": f"{int(r.get('lost', 0))}"}
              for t, r in counts.iterrows()]
    moved = []
    if shares is not None and not shares.empty:
        top = shares.assign(size=shares["change"].abs()).sort_values(["size", "order", "theme"],
                                                                     ascending=[False, True, True])
        for r in top[top["size"] > 0].head(15).itertuples():
            moved.append({"meeting": text(r.label), "theme": r.theme,
                          "before": f"{percent(r.share_before)} ({percent(r.share_low_before)}\u2013"
                                    f"{percent(r.share_high_before)})",
                          "after": f"{percent(r.share_after)} ({percent(r.share_low_after)}\u2013"
                                   f"{percent(r.share_high_after)})",
                          "change": f"{100 * r.change:+.1f} points"})
    lines = [{"theme": r.theme, "change": r.change, "evidence": text(r.evidence), "sentence": text(r.sentence),
              "sentence_id": r.sentence_id} for r in diff.head(shown).itertuples()]
    return {"themes": themes, "moved": moved, "lines": lines, "more": len(diff) - len(lines)}


def _date_key(value: object) -> str:
    return text(value) or "\uffff"  # undated last


def build_report(*, title: str, corpus_note: str, summary: Mapping, tables: Mapping[str, pd.DataFrame],
                 statements: pd.DataFrame, figures: Mapping[str, tuple[str, str]], links: Mapping[str, str],
                 per_cell: int = 20, statements_listed: int = 60, evaluation: Mapping | None = None) -> str:
    """The whole page. ``figures`` maps a name to (caption, SVG markup);
    ``links`` maps each linked file (theme_evidence, discovered_topics,
    actor_themes, statements, and each figure's png and svg as
    ``<name>.png``) to its path relative to the report."""
    tt = tables["theme_trends"]
    groups = tt.drop_duplicates("group_id").sort_values("order")
    dates = sorted(d for d in (text(v) for v in groups["start_date"]) if d)
    ok = statements[statements["status"] == "ok"]
    group_by = str(summary.get("group_by", "meeting"))
    unit, unit_plural = UNITS.get(group_by, ("group", "groups"))
    em = tables["emerging"]
    emerging = None
    if not em.empty:
        latest = groups.iloc[-1]
        columns = {"item": "Theme or term", "latest_count": "Latest", "latest_share": "Latest share",
                   "earlier_count": "Earlier", "earlier_share": "Earlier share", "change": "Change", "g2": "G2",
                   "p_value": "p", "first_seen_label": "First seen", "first_seen_date": "on"}
        themes = em[em["kind"] == "theme"].sort_values(["g2", "item"], ascending=[False, True])
        emerging = {"latest_title": text(latest["title"]), "latest_date": text(latest["start_date"]),
                    "columns": columns, "themes": table_rows(themes, list(columns)),
                    "terms": table_rows(em[em["kind"] == "term"], list(columns)),
                    "numeric": ("latest_count", "latest_share", "earlier_count", "earlier_share", "change", "g2",
                                "p_value")}
    actors = [{"name": text(r.name), "label": r.label, "theme": r.theme, "sentences": r.sentences,
               "statements": r.statements, "examples": text(r.example_sentence_ids).split()}
              for r in tables["actor_themes"].head(40).itertuples()]
    dup = tables.get("duplicates")
    duplicates = None
    if dup is not None and not dup.empty:
        left_out = int((dup["counted"].astype(str) != "True").sum())
        duplicates = {"rows": table_rows(dup, ["path", "duplicate_of_path", "similarity"]),
                      "note": f"{len(dup):,} statements repeat an earlier one exactly or nearly (MinHash estimate of "
                              f"shared word 5-grams); {left_out:,} of them are left out of the counts "
                              "(ingest.keep_duplicates)."}
    compare = tables.get("theme_compare")
    compared = None
    if compare is not None and not compare.empty:
        by = str(summary.get("compare_by") or "value")
        pooled = compare.groupby(["compare", "theme", "theme_label"], sort=False)[
            ["sentences_with_theme", "sentences"]].sum().reset_index()
        values = list(dict.fromkeys(compare.sort_values(["compare"])["compare"]))
        rows = []
        for theme, t in pooled.groupby("theme", sort=False):
            cells = []
            for value in values:
                hit = t[t["compare"] == value]
                k, n = (int(hit["sentences_with_theme"].sum()), int(hit["sentences"].sum())) if len(hit) else (0, 0)
                low, high = wilson_interval(k, n)
                cells.append({"share": percent(k / n) if n else "", "k": k, "n": n, "low": percent(low),
                              "high": percent(high)})
            rows.append({"label": t.iloc[0]["theme_label"], "cells": cells})
        compared = {"by": by, "values": values, "rows": rows}
    ordered = statements.assign(_date=statements["start_date"].map(_date_key)).sort_values(["_date", "path"])
    listed = ordered.head(statements_listed)
    page = _environment().get_template("report.html.j2").render(
        title=title, css=Markup(CSS), corpus_note=corpus_note, n_statements=f"{len(ok):,}",
        n_sentences=f"{summary['sentences']:,}", n_groups=f"{len(groups):,}", unit=unit, unit_plural=unit_plural,
        span=f"{dates[0]} to {dates[-1]}" if dates else "undated", group_by=group_by,
        how_grouped=HOW_GROUPED.get(group_by, ""),
        figures=[{"name": name, "caption": caption, "svg": inline_svg(svg, caption),
                  "png": links[f"{name}.png"], "svg_file": links[f"{name}.svg"]}
                 for name, (caption, svg) in figures.items()],
        groups=[{"label": text(g.label), "start_date": text(g.start_date)} for g in groups.itertuples()],
        theme_rows=theme_rows(tt),
        attendance=table_rows(tables["attendance_trends"], ["label", "start_date", "role", "participants"]),
        actors=actors, emerging=emerging,
        candidates=candidates(tables["discovered_topics"], tables["topic_sentences"]),
        evidence=evidence_sections(tt, tables["theme_evidence"], per_cell=per_cell),
        duplicates=duplicates, compared=compared,
        trust=trust_rows(evaluation or {}, tables.get("evaluation_per_theme")),
        edit=codebook_edit(tables.get("codebook_diff"), tables.get("codebook_diff_shares")),
        statements=table_rows(listed, ["path", "title", "series", "start_date", "city", "status"]),
        statements_more=f"{len(statements):,}" if len(statements) > statements_listed else "",
        links=links)
    return page
