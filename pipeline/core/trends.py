"""Tables across meetings: theme shares with Wilson intervals, entities,
attendance, actors x themes and what is new in the latest meeting.

Every function takes the tag stage's tables (DataFrames) and returns a
DataFrame whose columns the README's "Trend tables" section describes. Counts are of
sentences unless a column says otherwise, so every number can be traced back
to sentence ids (``theme_evidence`` lists them).

Sentences come as *counts* (:func:`sentence_counts`: sentences and words per
statement and meeting), not one row per sentence: a corpus of millions of
sentences is summed as it is read, and the tables need only the mentions
(which carry their sentence, statement and meeting) besides.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import pandas as pd

from .errors import PipelineError

GROUPINGS = ("meeting", "year", "series", "speaker", "party")
Z95 = 1.959963984540054
ACTOR_LABELS = ("STATE", "ORG")


def wilson_interval(successes: int, trials: int, *, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval for a proportion; (nan, nan) for no trials.
    Unlike the normal approximation it stays inside [0, 1] and is honest for
    the small counts a single meeting gives."""
    if trials <= 0:
        return math.nan, math.nan
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def log_likelihood(a: int, n_a: int, b: int, n_b: int) -> tuple[float, float]:
    """Dunning's log-likelihood G2 for a count ``a`` of ``n_a`` against ``b``
    of ``n_b`` (2x2 table, one degree of freedom) and its p-value."""
    if n_a + n_b == 0 or min(n_a, n_b) == 0:
        return 0.0, 1.0
    g2 = g2_statistic(a, n_a, b, n_b)
    # the chi-square survival function with one degree of freedom is erfc(sqrt(x / 2)): the same p-value as
    # scipy.stats.chi2.sf(g2, 1) (to ~1e-14), without the ~0.4 s import of scipy.stats on every trends run
    return g2, math.erfc(math.sqrt(g2 / 2))


def g2_statistic(a: int, n_a: int, b: int, n_b: int) -> float:
    """The G2 of :func:`log_likelihood` without its p-value."""
    table = [(a, n_a - a), (b, n_b - b)]
    total = n_a + n_b
    if total == 0 or min(n_a, n_b) == 0:
        return 0.0
    cols = [a + b, total - a - b]
    g2 = 0.0
    for row, n_row in zip(table, (n_a, n_b)):
        for observed, n_col in zip(row, cols):
            expected = n_row * n_col / total
            if observed > 0 and expected > 0:
                g2 += observed * math.log(observed / expected)
    return max(0.0, 2 * g2)


def meeting_groups(meetings: pd.DataFrame, *, by: str = "meeting", statements: pd.DataFrame | None = None,
                   ) -> pd.DataFrame:
    """One row per meeting: the group it is counted in, with the group's
    title, short label, series and first date, and its order in time.

    ``by="meeting"``: a statement-level meeting with a known series and
    ordinal is one group with every other statement of the same meeting
    (each state's speech at one UN General Debate session); dated events
    within a statement are groups of their own. ``year`` and ``series`` pool
    further; ``speaker`` and ``party`` pool by the statement's speaker or party
    (``statements`` gives them: statement_id, speaker, party)."""
    if by not in GROUPINGS:
        raise PipelineError(f"trends: group_by {by!r} is not one of {', '.join(GROUPINGS)}: fix params.yaml")
    m = meetings.copy()
    m["start_date"] = m["start_date"].fillna("").astype(str)
    series = m["series"].fillna("").astype(str)
    # not .astype(str): pandas writes a missing Int64 as "<NA>" or NaN depending on its version
    ordinal = pd.Series(["" if pd.isna(v) else str(int(v)) for v in m["ordinal"]], index=m.index, dtype=object)
    series = series.astype(object)
    pooled = (m["level"] == "statement") & (series != "") & (ordinal != "")
    if by == "meeting":
        m["group_id"] = m["meeting_id"].where(~pooled, series + " " + ordinal)
    elif by == "year":
        m["group_id"] = m["start_date"].str[:4].replace("", "undated")
    elif by == "series":
        m["group_id"] = series.replace("", "no series")
    else:
        if statements is None or by not in statements:
            raise PipelineError(f"trends: group_by {by} needs the statements' {by} column: rerun ingest")
        who = dict(zip(statements["statement_id"], statements[by].fillna("").astype(str)))
        m["group_id"] = m["statement_id"].map(who).fillna("").replace("", f"no {by}")
    # per group, from whole columns: a loop over groups took 8 s on Trove grouped by press release (13,537)
    m["_pooled"] = pooled
    m["_date"] = m["start_date"].where(m["start_date"] != "")
    per_group = m.groupby("group_id", sort=False).agg(
        size=("meeting_id", "size"), first_title=("title", lambda t: t.iloc[0]), any_pooled=("_pooled", "any"),
        start_date=("_date", "min"))
    named = m.loc[m["series"].fillna("") != "", ["group_id", "series"]].drop_duplicates()
    series_of = named.sort_values("series").groupby("group_id")["series"].agg("; ".join)
    rows = []
    for gid, size, first_title, any_pooled, start_date in per_group.itertuples(name=None):
        is_event = by == "meeting" and not any_pooled
        title = str(first_title or gid) if size == 1 else f"{gid} ({size} statements)"
        rows.append({"group_id": gid, "title": title, "label": _shorten(title, 32) if is_event else str(gid),
                     "series": series_of.get(gid, ""), "start_date": start_date if isinstance(start_date, str) else "",
                     "_events_last": int(is_event)})
    groups = pd.DataFrame(rows, columns=["group_id", "title", "label", "series", "start_date", "_events_last"])
    groups["_date"] = groups["start_date"].replace("", "9999")  # undated groups last
    groups = groups.sort_values(["_date", "_events_last", "group_id"]).drop(columns=["_date", "_events_last"])
    groups = groups.reset_index(drop=True)
    groups["order"] = range(len(groups))
    return m[["meeting_id", "group_id"]].merge(groups, on="group_id")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"


def _group_table(groups: pd.DataFrame) -> pd.DataFrame:
    return groups.drop(columns="meeting_id").drop_duplicates("group_id").sort_values("order")


COUNT_COLUMNS = ["statement_id", "meeting_id", "sentences", "n_words"]


def sentence_counts(sentences) -> pd.DataFrame:
    """Sentences and words per statement and meeting, from one row per
    sentence (statement_id, meeting_id, n_words: a DataFrame, or an Arrow
    table or record batch as read); summable batch by batch. Summed by
    Arrow: a pandas groupby per batch took 0.35 s of the trends stage on
    the 952 UN speeches (33 parts), Arrow 0.03 s."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if isinstance(sentences, pd.DataFrame):
        sentences = pa.Table.from_pandas(sentences[["statement_id", "meeting_id", "n_words"]], preserve_index=False)
    elif isinstance(sentences, pa.RecordBatch):
        sentences = pa.Table.from_batches([sentences])
    if not sentences.num_rows:
        return pd.DataFrame(columns=COUNT_COLUMNS).astype({"sentences": "int64", "n_words": "int64"})
    summed = sentences.group_by(["statement_id", "meeting_id"]).aggregate(
        [("n_words", "count", pc.CountOptions(mode="all")), ("n_words", "sum")])
    out = pd.DataFrame({"statement_id": summed.column("statement_id").to_pandas(),
                        "meeting_id": summed.column("meeting_id").to_pandas(),
                        "sentences": summed.column("n_words_count").to_pandas().astype("int64"),
                        "n_words": summed.column("n_words_sum").to_pandas().astype("int64")})
    return out.sort_values(["statement_id", "meeting_id"], ignore_index=True)[COUNT_COLUMNS]


def add_counts(parts: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The sum of several :func:`sentence_counts` (e.g. of batches of a file)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return sentence_counts(pd.DataFrame(columns=["statement_id", "meeting_id", "n_words"]))
    return pd.concat(parts).groupby(["statement_id", "meeting_id"], as_index=False, sort=True)[
        ["sentences", "n_words"]].sum()[COUNT_COLUMNS]


def _with_group(table: pd.DataFrame, groups: pd.DataFrame, what: str) -> pd.DataFrame:
    """``table`` (with a meeting_id) with the group of its meeting; a meeting
    that is not in ``groups`` stops the run (the tag and ingest outputs would
    be out of step)."""
    out = table.merge(groups[["meeting_id", "group_id"]], on="meeting_id", how="left")
    if out["group_id"].isna().any():
        missing = out.loc[out["group_id"].isna(), "meeting_id"].iloc[0]
        raise PipelineError(f"trends: {what} refer to meeting {missing!r}, which meetings.parquet does not have: "
                            "rerun ingest and tag (`dvc repro`)")
    return out


def count_groups(counts: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Sentence counts with their group."""
    return _with_group(counts[COUNT_COLUMNS], groups, "sentences")


def mention_groups(mentions: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Mentions with the group of their sentence's meeting."""
    return _with_group(mentions, groups, "mentions")


def theme_trends(counts: pd.DataFrame, mentions: pd.DataFrame, groups: pd.DataFrame,
                 themes: Sequence[tuple[str, str]]) -> pd.DataFrame:
    """One row per group x theme, zero counts included."""
    cg = count_groups(counts, groups)
    tm = mention_groups(mentions[mentions["kind"] == "theme"], groups)
    totals = cg.groupby("group_id").agg(sentences=("sentences", "sum"), words=("n_words", "sum"),
                                        statements=("statement_id", "nunique"))
    # counts per group and theme, looked up in dicts: per-group DataFrame lookups took 11 s on Trove by press release
    hit_counts = tm.groupby(["group_id", "label"]).agg(
        k=("sentence_id", "nunique"), mentions=("sentence_id", "size"), statements=("statement_id", "nunique"))
    hits_of = {key: tuple(int(v) for v in row) for key, row in zip(hit_counts.index, hit_counts.itertuples(index=False))}
    total_of = {gid: tuple(int(v) for v in row) for gid, row in zip(totals.index, totals.itertuples(index=False))}
    rows = []
    for group in _group_table(groups).itertuples(index=False):
        gid = group.group_id
        n, words, n_statements = total_of.get(gid, (0, 0, 0))
        for theme_id, theme_label in themes:
            k, n_mentions, with_theme = hits_of.get((gid, theme_id), (0, 0, 0))
            low, high = wilson_interval(k, n)
            rows.append({"group_id": gid, "title": group.title, "label": group.label,
                         "series": group.series, "start_date": group.start_date, "order": group.order,
                         "theme": theme_id, "theme_label": theme_label,
                         "sentences_with_theme": k, "sentences": n,
                         "share": k / n if n else math.nan, "share_low": low, "share_high": high,
                         "mentions": n_mentions, "words": words,
                         "mentions_per_1000_words": 1000 * n_mentions / words if words else math.nan,
                         "statements_with_theme": with_theme, "statements": n_statements})
    return pd.DataFrame(rows, columns=THEME_TREND_COLUMNS)


THEME_TREND_COLUMNS = ["group_id", "title", "label", "series", "start_date", "order", "theme", "theme_label",
                       "sentences_with_theme", "sentences", "share", "share_low", "share_high", "mentions", "words",
                       "mentions_per_1000_words", "statements_with_theme", "statements"]


COMPARE_COLUMNS = ["group_id", "label", "start_date", "order", "compare", "theme", "theme_label",
                   "sentences_with_theme", "sentences", "share", "share_low", "share_high"]


def compared_values(counts: pd.DataFrame, value_of: dict[str, str], *, by: str, top: int) -> dict[str, str]:
    """Each statement's value of the compared field, the ``top`` values with
    the most sentences kept and the rest pooled as 'other'; a statement
    without a value is 'no <by>'."""
    values = counts["statement_id"].map(value_of).fillna("").replace("", f"no {by}")
    per_value = counts["sentences"].groupby(values).sum()
    keep = sorted(per_value.index, key=lambda v: (-per_value[v], v))[:top]
    return {sid: (v if v in keep else "other") for sid, v in zip(counts["statement_id"], values)}


def theme_compare(counts: pd.DataFrame, mentions: pd.DataFrame, groups: pd.DataFrame,
                  themes: Sequence[tuple[str, str]], *, value_of: dict[str, str], by: str, top: int = 6,
                  ) -> pd.DataFrame:
    """A second dimension across the groups: for each group, compared value
    (speaker, party, series) and theme, the share of that value's sentences
    carrying the theme, with its Wilson interval. Only combinations with
    sentences are listed."""
    if not by or counts.empty:
        return pd.DataFrame(columns=COMPARE_COLUMNS)
    cg = count_groups(counts, groups)
    compare_of = compared_values(cg, value_of, by=by, top=top)
    cg["compare"] = cg["statement_id"].map(compare_of)
    tm = mention_groups(mentions[mentions["kind"] == "theme"][["sentence_id", "statement_id", "meeting_id", "label"]]
                        .drop_duplicates(["sentence_id", "label"]), groups)
    tm["compare"] = tm["statement_id"].map(compare_of)
    totals = cg.groupby(["group_id", "compare"])["sentences"].sum()
    hits = tm.groupby(["group_id", "compare", "label"]).size()
    table = _group_table(groups).set_index("group_id")
    rows = []
    for (gid, value), n in sorted(totals.items(), key=lambda kv: (table.loc[kv[0][0], "order"], kv[0][1])):
        g = table.loc[gid]
        for theme_id, theme_label in themes:
            k = int(hits.get((gid, value, theme_id), 0))
            low, high = wilson_interval(k, int(n))
            rows.append({"group_id": gid, "label": g["label"], "start_date": g["start_date"], "order": g["order"],
                         "compare": value, "theme": theme_id, "theme_label": theme_label,
                         "sentences_with_theme": k, "sentences": int(n), "share": k / n,
                         "share_low": low, "share_high": high})
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)


def theme_shares_wide(theme_trends: pd.DataFrame) -> pd.DataFrame:
    """One row per group, one share column per theme id: the shape
    `dvc plots` draws as one line per theme."""
    themes = list(dict.fromkeys(theme_trends["theme"]))
    if theme_trends.empty:
        return pd.DataFrame(columns=["order", "group_id", "label", "start_date"])
    wide = theme_trends.pivot(index=["order", "group_id", "label", "start_date"], columns="theme", values="share")
    return wide[themes].reset_index().rename_axis(columns=None)


def entity_trends(mentions: pd.DataFrame, groups: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """States and organisations named per group (only those named)."""
    actors = (mentions["kind"] == "entity") & mentions["label"].isin(ACTOR_LABELS)
    em = mention_groups(mentions.loc[actors, ["sentence_id", "statement_id", "meeting_id", "canonical_id", "label",
                                              "text"]], groups)  # only the columns counted: the copy is smaller
    cols = ["group_id", "order", "canonical_id", "name", "label", "sentences", "mentions", "statements"]
    if em.empty:
        return pd.DataFrame(columns=cols)
    keys = ["group_id", "canonical_id", "label"]
    out = em.groupby(keys, as_index=False).agg(
        sentences=("sentence_id", "nunique"), mentions=("sentence_id", "size"), statements=("statement_id", "nunique"))
    # each actor's most frequent wording, the first seen on a tie (as Counter.most_common), from whole columns:
    # a Python function per group took 0.1 s on the 952 UN speeches
    em["_seen"] = range(len(em))
    wordings = em.groupby([*keys, "text"], as_index=False).agg(n=("_seen", "size"), first=("_seen", "min"))
    wordings = wordings.sort_values(["n", "first"], ascending=[False, True]).drop_duplicates(keys)
    out = out.merge(wordings[[*keys, "text"]], on=keys)
    out["name"] = [names.get(cid, text) for cid, text in zip(out["canonical_id"], out["text"])]
    out = out.merge(_group_table(groups)[["group_id", "order"]], on="group_id")
    return out.sort_values(["order", "mentions", "canonical_id"], ascending=[True, False, True])[cols]


def attendance_trends(attendance: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Participants listed per group and role (from the tag stage's lists)."""
    cols = ["group_id", "label", "start_date", "order", "role", "participants"]
    if attendance.empty:
        return pd.DataFrame(columns=cols)
    a = attendance.merge(groups, on="meeting_id")
    a["key"] = a["canonical_id"].where(a["canonical_id"].fillna("") != "", a["participant"])
    out = a.groupby(["group_id", "label", "start_date", "order", "role"], as_index=False).agg(
        participants=("key", "nunique"))
    return out.sort_values(["order", "role"])[cols]


def actor_themes(mentions: pd.DataFrame, groups: pd.DataFrame, names: dict[str, str], *,
                 examples: int = 3) -> pd.DataFrame:
    """Which states and organisations are named in the same sentence as
    which theme, with the first example sentence ids."""
    cols = ["canonical_id", "name", "label", "theme", "sentences", "statements", "groups", "example_sentence_ids"]
    themes = mentions[mentions["kind"] == "theme"]
    # only the sentences with a theme: most actor mentions have none, and copying them all was the
    # trends stage's peak memory on the UN archive
    actors = mentions[(mentions["kind"] == "entity") & mentions["label"].isin(ACTOR_LABELS)
                      & mentions["sentence_id"].isin(themes["sentence_id"].unique())]
    pairs = actors[["sentence_id", "statement_id", "meeting_id", "canonical_id", "label", "text"]].drop_duplicates(
        ["sentence_id", "canonical_id"]).merge(themes[["sentence_id", "label"]].drop_duplicates()
                                              .rename(columns={"label": "theme"}), on="sentence_id")
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    pairs = mention_groups(pairs, groups)
    out = pairs.groupby(["canonical_id", "label", "theme"], as_index=False).agg(
        sentences=("sentence_id", "nunique"), statements=("statement_id", "nunique"), groups=("group_id", "nunique"),
        example_sentence_ids=("sentence_id", lambda s: " ".join(sorted(set(s))[:examples])),
        text=("text", "first"))
    out["name"] = [names.get(cid, text) for cid, text in zip(out["canonical_id"], out["text"])]
    return out.sort_values(["sentences", "canonical_id", "theme"], ascending=[False, True, True])[cols]


FOLD_ROWS = 250_000  # per-batch term sums held before they are folded into the running total (at least)


def group_term_counts(batches: Iterable, group_of: dict[str, str]):
    """Term counts per group (an Arrow table: group_id, term, count; one row
    per group and term), summed from the tag stage's ``term_counts`` rows
    (Arrow record batches with meeting_id, term and count; see
    :mod:`.terms`). The lists are flattened and summed by Arrow batch by
    batch, so memory holds one batch, the running total and the sums
    waiting to join it; the sums stay in Arrow (on the UN archive, a Python
    Counter per group held ~300 MB more)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def summed(table: pa.Table) -> pa.Table:
        return table.group_by(["group", "term"]).aggregate([("count", "sum")]).rename_columns(
            ["group", "term", "count"])

    # groups are summed as small integer codes, not strings: a third less memory at the peak on the UN archive
    names = sorted(set(group_of.values()))
    index = {g: i for i, g in enumerate(names)}
    code_of = {m: index[g] for m, g in group_of.items()}
    total = pa.table({"group": pa.array([], pa.int32()), "term": pa.array([], pa.string()),
                      "count": pa.array([], pa.int64())})
    # each batch's sums wait and are folded into the total once they hold a quarter as many rows as it: with a
    # fold per batch, a corpus of many groups (Trove by press release: 13,537) re-summed its whole total 50 times
    pending: list[pa.Table] = []
    for batch in batches:
        if not batch.num_rows:
            continue
        codes = pa.array([code_of[m] for m in batch.column("meeting_id").to_pylist()], pa.int32())
        flat = pa.table({"group": pc.take(codes, pc.list_parent_indices(batch.column("term"))),
                         "term": pc.list_flatten(batch.column("term")),
                         "count": pc.list_flatten(batch.column("count"))})
        pending.append(summed(flat))
        if sum(t.num_rows for t in pending) >= max(total.num_rows // 4, FOLD_ROWS):
            total, pending = summed(pa.concat_tables([total, *pending])), []
    total = summed(pa.concat_tables([total, *pending]))
    out = pa.table({"group_id": pc.take(pa.array(names, pa.string()), total.column("group")),
                    "term": total.column("term"), "count": total.column("count")})
    pa.default_memory_pool().release_unused()
    return out


def _term_sums(terms) -> Counter:
    """term -> count from an Arrow table of term and count columns."""
    return Counter(dict(zip(terms.column("term").to_pylist(), terms.column("count").to_pylist())))


def _rank_by_g2(latest: Counter, n_latest: int, earlier: Counter, n_earlier: int, *, min_count: int,
                top: int) -> list[tuple[float, str]]:
    """The ``top`` terms used at least ``min_count`` times, by G2 (highest
    first, then by term), as (-G2, term). G2 is computed for every term with
    numpy (0.01 s for the 25,000 terms of the 952 UN speeches, against 0.1 s
    in Python), then again with :func:`g2_statistic` for the terms near the
    top, so the order is exactly that of the Python G2 whatever numpy's
    rounding."""
    import numpy as np
    terms = sorted(t for t in set(latest) | set(earlier) if latest[t] + earlier[t] >= min_count)
    if not terms or top <= 0:
        return []
    a = np.array([latest[t] for t in terms], dtype=float)
    b = np.array([earlier[t] for t in terms], dtype=float)
    total = n_latest + n_earlier
    if min(n_latest, n_earlier) == 0:
        g2 = np.zeros(len(terms))
    else:
        g2 = np.zeros(len(terms))
        for observed, n_row, col in ((a, n_latest, a + b), (n_latest - a, n_latest, total - a - b),
                                     (b, n_earlier, a + b), (n_earlier - b, n_earlier, total - a - b)):
            expected = n_row * col / total
            ok = (observed > 0) & (expected > 0)
            g2[ok] += observed[ok] * np.log(observed[ok] / expected[ok])
        g2 = np.maximum(0.0, 2 * g2)
    cut = np.sort(g2)[::-1][min(top, len(terms)) - 1]
    near = [t for t, g in zip(terms, g2) if g >= cut - 1e-6 * max(1.0, abs(cut))]
    return sorted((-g2_statistic(latest[t], n_latest, earlier[t], n_earlier), t) for t in near)[:top]


def emerging(counts: pd.DataFrame, mentions: pd.DataFrame, groups: pd.DataFrame,
             themes: Sequence[tuple[str, str]], *, term_counts, top_terms: int = 20,
             min_count: int = 3) -> pd.DataFrame:
    """The latest group against all earlier ones: every theme, and the
    ``top_terms`` words whose rate changed most (by G2), with the group and
    date each was first seen; words are counted in ``term_counts`` (from
    :func:`group_term_counts`). Empty when there is only one group."""
    cols = ["kind", "item", "label", "latest_count", "latest_total", "earlier_count", "earlier_total",
            "latest_share", "earlier_share", "change", "g2", "p_value", "direction", "first_seen_group",
            "first_seen_label", "first_seen_date"]
    table = _group_table(groups)
    if len(table) < 2:
        return pd.DataFrame(columns=cols)
    latest = table.iloc[-1]["group_id"]
    order = dict(zip(table["group_id"], table["order"]))
    first_seen_of = {gid: (gid, label, date) for gid, label, date in
                     zip(table["group_id"], table["label"], table["start_date"])}
    cg = count_groups(counts, groups)
    is_latest = cg["group_id"] == latest
    n1, n0 = int(cg.loc[is_latest, "sentences"].sum()), int(cg.loc[~is_latest, "sentences"].sum())
    rows = []
    tm = mention_groups(mentions[mentions["kind"] == "theme"], groups)
    for theme_id, theme_label in themes:
        hits = tm[tm["label"] == theme_id].drop_duplicates("sentence_id")
        a = int((hits["group_id"] == latest).sum())
        b = len(hits) - a
        first = min(hits["group_id"], key=order.get) if len(hits) else ""
        rows.append(_keyness_row("theme", theme_id, theme_label, a, n1, b, n0, first_seen_of.get(first, ("", "", ""))))
    import pyarrow as pa
    import pyarrow.compute as pc
    is_latest_term = pc.equal(term_counts.column("group_id"), latest)
    latest_counts = _term_sums(term_counts.filter(is_latest_term))
    earlier_counts = _term_sums(term_counts.filter(pc.invert(is_latest_term)).group_by("term").aggregate(
        [("count", "sum")]).rename_columns(["term", "count"]))
    w1, w0 = sum(latest_counts.values()), sum(earlier_counts.values())
    ranked = _rank_by_g2(latest_counts, w1, earlier_counts, w0, min_count=min_count, top=top_terms)
    top = [w for _, w in ranked]
    first_seen: dict[str, str] = {}  # of the top terms: the earliest group that uses each
    rows_of_top = term_counts.filter(pc.is_in(term_counts.column("term"), value_set=pa.array(top, pa.string())))
    for gid, w in sorted(zip(rows_of_top.column("group_id").to_pylist(), rows_of_top.column("term").to_pylist()),
                         key=lambda gw: order[gw[0]]):
        first_seen.setdefault(w, gid)
    term_rows = [_keyness_row("term", w, w, latest_counts[w], w1, earlier_counts[w], w0, first_seen_of[first_seen[w]])
                 for w in top]
    return pd.DataFrame(rows + term_rows, columns=cols)


def _keyness_row(kind: str, item: str, label: str, a: int, n1: int, b: int, n0: int,
                 first_seen: tuple[str, str, str]) -> dict:
    g2, p = log_likelihood(a, n1, b, n0)
    s1, s0 = (a / n1 if n1 else math.nan), (b / n0 if n0 else math.nan)
    return {"kind": kind, "item": item, "label": label, "latest_count": a, "latest_total": n1,
            "earlier_count": b, "earlier_total": n0, "latest_share": s1, "earlier_share": s0,
            "change": s1 - s0, "g2": g2, "p_value": p,
            "direction": "up" if s1 > s0 else ("down" if s1 < s0 else "same"),
            "first_seen_group": first_seen[0], "first_seen_label": first_seen[1], "first_seen_date": first_seen[2]}


def theme_evidence(mentions: pd.DataFrame, groups: pd.DataFrame, statements: pd.DataFrame,
                   texts: pd.DataFrame) -> pd.DataFrame:
    """Every theme mention with its sentence and statement: the rows behind
    every theme count (one row per mention; a sentence with two matches of
    one theme counts once in the trends). ``texts`` has the ``sentence_id``
    and ``text`` of (at least) the sentences with a theme."""
    cols = ["group_id", "theme", "sentence_id", "statement_id", "statement", "evidence", "start", "end", "rule",
            "sentence"]
    tm = mentions[mentions["kind"] == "theme"]
    if tm.empty:
        return pd.DataFrame(columns=cols)
    out = mention_groups(tm, groups)
    out = out.merge(texts[["sentence_id", "text"]].rename(columns={"text": "sentence"}), on="sentence_id")
    st = statements.set_index("statement_id")
    names = (st["title"].fillna("").where(st["title"].fillna("") != "", st["path"])).to_dict()
    out["statement"] = out["statement_id"].map(names)
    out = out.rename(columns={"label": "theme", "text": "evidence", "source": "rule"})
    order = dict(zip(groups["group_id"], groups["order"]))
    out["_order"] = out["group_id"].map(order)
    return out.sort_values(["_order", "theme", "sentence_id", "start"])[cols]
