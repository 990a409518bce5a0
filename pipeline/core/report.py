"""The HTML report: one self-contained file (inline CSS and SVG, no scripts,
no network) that readers open from disk.

Every count in the theme table links to the evidence for it: the sentences,
as keyword-in-context lines with the matched words highlighted and the
statement named.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping

import pandas as pd

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


def esc(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value))


def percent(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}%"


def anchor(*parts: str) -> str:
    return "ev-" + re.sub(r"[^A-Za-z0-9_-]+", "-", "-".join(parts)).strip("-")


def inline_svg(svg: str, title: str) -> str:
    """An SVG file's markup for inlining: XML prolog and doctype removed, an
    accessible name added."""
    body = svg[svg.index("<svg"):]
    return body.replace("<svg", f'<svg role="img" aria-label="{esc(title)}"', 1)


def kwic(sentence: str, spans: list[tuple[int, int]], *, width: int = 70) -> tuple[str, str, str]:
    """(left, keyword, right) HTML around the first match, later matches
    inside the right context highlighted too."""
    start, end = spans[0]
    left = sentence[max(0, start - width):start]
    if start > width:
        left = "\u2026" + left
    right_end = min(len(sentence), end + width)
    right_parts, pos = [], end
    for s, e in spans[1:]:
        if s >= pos and e <= right_end:
            right_parts += [esc(sentence[pos:s]), f"<mark>{esc(sentence[s:e])}</mark>"]
            pos = e
    right_parts.append(esc(sentence[pos:right_end]) + ("\u2026" if right_end < len(sentence) else ""))
    return esc(left), f"<mark>{esc(sentence[start:end])}</mark>", "".join(right_parts)


def _table(df: pd.DataFrame, columns: Mapping[str, str], *, numeric: set[str] = frozenset()) -> str:
    head = "".join(f"<th>{esc(label)}</th>" for label in columns.values())
    rows = []
    for _, row in df.iterrows():
        cells = []
        for col in columns:
            value = row[col]
            if isinstance(value, float) and col.endswith(("share", "change")):
                value = percent(value)
            elif isinstance(value, float) and not math.isnan(value):
                value = f"{value:.3g}" if col in ("p_value",) else f"{value:.2f}"
            cells.append(f'<td class="n">{esc(value)}</td>' if col in numeric else f"<td>{esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def theme_table(theme_trends: pd.DataFrame) -> str:
    """Themes x meetings: share and 'k of n sentences', each count linked to
    its evidence."""
    groups = theme_trends.drop_duplicates("group_id").sort_values("order")
    head = "<th>Theme</th>" + "".join(
        f"<th>{esc(g.label)}<br><span class='note'>{esc(g.start_date)}</span></th>" for g in groups.itertuples())
    rows = []
    for theme, t in theme_trends.groupby("theme", sort=False):
        cells = [f"<th>{esc(t.iloc[0]['theme_label'])}</th>"]
        for r in t.sort_values("order").itertuples():
            if r.sentences_with_theme:
                cells.append(f'<td class="n"><a href="#{anchor(theme, str(r.group_id))}">{percent(r.share)}</a>'
                             f'<br><span class="note">{r.sentences_with_theme} of {r.sentences}; '
                             f'{percent(r.share_low)}\u2013{percent(r.share_high)}</span></td>')
            else:
                cells.append(f'<td class="n zero">0 of {r.sentences}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='wide'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def evidence_section(theme_trends: pd.DataFrame, evidence: pd.DataFrame, *, per_cell: int) -> str:
    """For each theme and meeting with the theme: its sentences as KWIC lines."""
    parts = []
    by_cell = {key: g for key, g in evidence.groupby(["theme", "group_id"], sort=False)}
    for theme, t in theme_trends.groupby("theme", sort=False):
        cells = [r for r in t.sort_values("order").itertuples() if r.sentences_with_theme]
        label = t.iloc[0]["theme_label"]
        total = int(t["sentences_with_theme"].sum())
        parts.append(f'<h3 id="{anchor(theme)}">{esc(label)} <span class="note">({theme}; {total} sentence{"s" if total != 1 else ""})</span></h3>')
        if not cells:
            parts.append('<p class="note">No sentence in the corpus carries this theme.</p>')
        for r in cells:
            rows = by_cell.get((theme, r.group_id))
            sentences = [] if rows is None else list(rows.groupby("sentence_id", sort=False))
            parts.append(f'<h4 id="{anchor(theme, str(r.group_id))}">{esc(r.title)} '
                         f'<span class="note">{esc(r.start_date)} \u00b7 {r.sentences_with_theme} of {r.sentences} '
                         f'sentences ({percent(r.share)})</span></h4>')
            lines = []
            for sentence_id, mentions in sentences[:per_cell]:
                first = mentions.iloc[0]
                spans = sorted(set(zip(mentions["start"].astype(int), mentions["end"].astype(int))))
                left, key, right = kwic(str(first["sentence"]), spans)
                rules = ", ".join(sorted(set(mentions["rule"])))
                lines.append(f'<tr id="{esc(sentence_id)}" title="{esc(first["sentence"])}"><td class="left">'
                             f'<span>{left}</span></td><td class="key">{key}</td><td class="right">{right}</td></tr>'
                             f'<tr class="src"><td colspan="3">{esc(first["statement"])} \u00b7 sentence '
                             f'{esc(sentence_id)} \u00b7 rule {esc(rules)}</td></tr>')
            parts.append('<table class="kwic"><colgroup><col class="l"><col class="k"><col class="r"></colgroup>'
                         f'<tbody>{"".join(lines)}</tbody></table>')
            if len(sentences) > per_cell:
                parts.append(f'<p class="note">Showing {per_cell} of {len(sentences)} sentences; all are in '
                             f'outputs/tables/theme_evidence.csv (group_id {esc(r.group_id)}, theme {theme}).</p>')
    return "\n".join(parts)


def candidate_section(topics: pd.DataFrame, examples: pd.DataFrame) -> str:
    """Topics found in the sentences (outputs/tables/discovered_topics.csv)
    that overlap no codebook theme and grow over the later meetings, each with
    its top terms and most typical sentences."""
    intro = ('<p class="note">Topics found by factorising the sentences\' words (TF-IDF on lemmas, NMF) that '
             "no codebook theme covers (the theme that overlaps most carries under "
             "<code>discover.candidate_overlap</code> of the topic's sentences) and whose share grew in the later "
             "meetings. Each could become a codebook entry; all topics are in outputs/tables/discovered_topics.csv."
             "</p>")
    if topics.empty:
        return intro + '<p class="note">Too few sentences to find topics.</p>'
    candidates = topics[topics["candidate"].astype(str) == "True"].sort_values(["growth", "topic"],
                                                                               ascending=[False, True])
    if candidates.empty:
        return intro + '<p class="note">No growing topic outside the codebook.</p>'
    parts = [intro]
    for t in candidates.itertuples():
        parts.append(f'<h3 id="topic-{t.topic}">Topic {t.topic}: {esc(t.label)}</h3>'
                     f'<p class="note">{t.sentences} sentences; growth {100 * t.growth:+.2f} points of share; '
                     f'closest theme {esc(t.best_theme or "none")} ({100 * t.overlap:.0f}% of its sentences)<br>'
                     f'Top terms: {esc(t.top_terms)}</p>')
        rows = examples[examples["topic"] == t.topic].sort_values("rank")
        parts.append("<ul>" + "".join(f"<li>{esc(r.text)} <span class='src'>{esc(r.sentence_id)}</span></li>"
                                      for r in rows.itertuples()) + "</ul>")
    return "\n".join(parts)


def build_report(*, title: str, corpus_note: str, summary: Mapping, tables: Mapping[str, pd.DataFrame],
                 statements: pd.DataFrame, figures: Mapping[str, tuple[str, str]], per_cell: int = 20,
                 statements_listed: int = 60) -> str:
    """The whole page. ``figures`` maps a name to (caption, SVG markup)."""
    tt = tables["theme_trends"]
    groups = tt.drop_duplicates("group_id").sort_values("order")
    dates = sorted(d for d in groups["start_date"].astype(str) if d and d != "nan")
    ok = statements[statements["status"] == "ok"]
    span = f"{dates[0]} to {dates[-1]}" if dates else "undated"
    sections = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="lede">{esc(corpus_note)} This report covers <b>{len(ok):,}</b> statement'
        f'{"s" if len(ok) != 1 else ""} ({summary["sentences"]:,} sentences) reporting <b>{len(groups)}</b> '
        f'meeting{"s" if len(groups) != 1 else ""}, {esc(span)}, grouped by {esc(summary.get("group_by", "meeting"))}.</p>',
        '<nav><a href="#charts">Charts</a><a href="#themes">Theme table</a><a href="#attendance">Attendance</a>'
        '<a href="#actors">Who raises what</a><a href="#emerging">What is new</a><a href="#candidates">Candidate themes</a><a href="#evidence">Evidence</a>'
        '<a href="#corpus">Statements</a></nav>',
        '<p class="note">How to read the numbers: a theme\'s <b>share</b> is the share of a meeting\'s sentences in '
        "which the codebook found the theme; the range under it is a 95% Wilson interval, which is wide when a "
        "meeting has few sentences. Each percentage links to the sentences behind it. A statement's opening and "
        "closing passages count towards the meeting the statement reports (e.g. 'WG-TIP 11'); dated sections "
        "within it ('Joint Regional Event - 2 December 2025') are meetings of their own.</p>",
        '<h2 id="charts">Charts</h2>',
    ]
    for name, (caption, svg) in figures.items():
        sections.append(f'<figure id="fig-{name}">{inline_svg(svg, caption)}<figcaption>{esc(caption)} '
                        f'(also as outputs/figures/{name}.png and .svg)</figcaption></figure>')
    sections += ['<h2 id="themes">Themes by meeting</h2>', theme_table(tt)]
    sections += ['<h2 id="attendance">Attendance</h2>']
    at = tables["attendance_trends"]
    if at.empty:
        sections.append('<p class="note">No participant lists were found in these statements.</p>')
    else:
        sections.append(_table(at, {"label": "Meeting", "start_date": "Date", "role": "Role",
                                    "participants": "Participants listed"}, numeric={"participants"}))
    sections += ['<h2 id="actors">Who raises what</h2>',
                 '<p class="note">States and organisations named in the same sentence as a theme (top 40 pairs; '
                 'all in outputs/tables/actor_themes.csv). Example sentence ids link to their evidence line.</p>']
    actors = tables["actor_themes"].head(40).copy()
    if actors.empty:
        sections.append('<p class="note">No sentence names a state or organisation together with a theme.</p>')
    else:
        rows = []
        for r in actors.itertuples():
            links = " ".join(f'<a href="#{esc(s)}">{esc(s)}</a>' for s in str(r.example_sentence_ids).split())
            rows.append(f"<tr><td>{esc(r.name)}</td><td>{esc(r.label)}</td><td>{esc(r.theme)}</td>"
                        f'<td class="n">{r.sentences}</td><td class="n">{r.statements}</td><td>{links}</td></tr>')
        sections.append("<table><thead><tr><th>Actor</th><th>Kind</th><th>Theme</th><th>Sentences</th>"
                        f"<th>Statements</th><th>Examples</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    em = tables["emerging"]
    sections.append('<h2 id="emerging">What is new</h2>')
    if em.empty:
        sections.append('<p class="note">There is only one meeting, so nothing to compare it with.</p>')
    else:
        latest = groups.iloc[-1]
        sections.append(f'<p class="note">The latest meeting, <b>{esc(latest["title"])}</b> ({esc(latest["start_date"])}), '
                        "against all earlier ones. G2 is Dunning's log-likelihood statistic (one degree of freedom); "
                        "a small p-value means the difference is unlikely to be chance. Themes count sentences, terms "
                        "count words.</p>")
        cols = {"item": "Theme or term", "latest_count": "Latest", "latest_share": "Latest share",
                "earlier_count": "Earlier", "earlier_share": "Earlier share", "change": "Change", "g2": "G2",
                "p_value": "p", "first_seen_label": "First seen", "first_seen_date": "on"}
        numeric = {"latest_count", "latest_share", "earlier_count", "earlier_share", "change", "g2", "p_value"}
        themes = em[em["kind"] == "theme"].sort_values(["g2", "item"], ascending=[False, True])
        sections += ["<h3>Themes</h3>", _table(themes, cols, numeric=numeric),
                     "<h3>Terms whose rate changed most</h3>", _table(em[em["kind"] == "term"], cols, numeric=numeric)]
    sections += ['<h2 id="candidates">Candidate themes</h2>', candidate_section(tables["discovered_topics"],
                                                                               tables["topic_sentences"])]
    sections += ['<h2 id="evidence">Evidence</h2>',
                 '<p class="note">Each line is one sentence: the matched words highlighted in their context, then '
                 "the statement, the sentence id and the codebook rule that matched.</p>",
                 evidence_section(tt, tables["theme_evidence"], per_cell=per_cell)]
    sections.append('<h2 id="corpus">Statements</h2>')
    listed = statements.sort_values(["start_date", "path"], na_position="last").head(statements_listed)
    sections.append(_table(listed, {"path": "File", "title": "Title", "series": "Series", "start_date": "Date",
                                    "city": "City", "status": "Status"}))
    if len(statements) > statements_listed:
        sections.append(f'<p class="note">Showing {statements_listed} of {len(statements):,} statements; all are in '
                        "outputs/interim/statements.parquet.</p>")
    body = "\n".join(sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>{esc(title)}</title>\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")
