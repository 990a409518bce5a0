"""The annotation loop: pick the sentences worth labelling, read back what
coders labelled (checking every cell), and measure how far coders agree.

- :func:`pick_queue`: sentences where the rules and the learned model
  disagree, where the model is least sure, or where a codebook word appears
  with no tag; spread over themes and statements, no near-duplicates, never a
  sentence already labelled.
- :func:`read_labels`: a filled-in sheet (xlsx, csv or jsonl) to labelled
  rows, or a list of every problem with its row number.
- :func:`agreement`: Krippendorff's alpha per theme and micro-F1 between coders.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import PipelineError

TRUE = {"1", "1.0", "yes", "y", "true", "x"}
FALSE = {"0", "0.0", "no", "n", "false", ""}
FIXED_COLUMNS = ["id", "statement", "meeting", "before", "sentence", "after"]
FREE_COLUMNS = ["coder", "notes"]


# -- the queue --------------------------------------------------------------------------------------------------

def _normalised(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def pick_queue(candidates: pd.DataFrame, *, n: int, labelled: set[str], per_statement: int = 3,
               near_duplicate: float = 0.8) -> pd.DataFrame:
    """The ``n`` sentences worth labelling most, from ``candidates`` (columns
    sentence_id, statement_id, text, score, theme: the theme the sentence is
    a candidate for, '' for none). Highest scores first, taken round-robin
    over themes so that rare themes get their share, at most
    ``per_statement`` from one statement, no near-duplicate of a sentence
    already picked, never one in ``labelled``."""
    from datasketch import MinHash, MinHashLSH
    pool = candidates[~candidates["sentence_id"].isin(labelled)]
    pool = pool.sort_values(["score", "sentence_id"], ascending=[False, True])
    by_theme = {theme: list(g.itertuples()) for theme, g in pool.groupby("theme", sort=True)}
    lsh = MinHashLSH(threshold=near_duplicate, num_perm=64)
    picked, picked_ids, seen_text, per = [], set(), set(), {}
    while len(picked) < n and any(by_theme.values()):
        for theme in sorted(by_theme):
            while by_theme[theme]:
                row = by_theme[theme].pop(0)
                key = _normalised(row.text)
                if row.sentence_id in picked_ids or key in seen_text \
                        or per.get(row.statement_id, 0) >= per_statement:
                    continue
                mh = MinHash(num_perm=64, seed=1)
                mh.update_batch([w.encode() for w in key.split()] or [b""])
                if lsh.query(mh):
                    continue
                lsh.insert(row.sentence_id, mh)
                seen_text.add(key)
                per[row.statement_id] = per.get(row.statement_id, 0) + 1
                picked.append(row)
                picked_ids.add(row.sentence_id)
                break
            if len(picked) >= n:
                break
    return pd.DataFrame([p._asdict() for p in picked], columns=["Index", *candidates.columns]).drop(columns="Index")


def suggestive_themes(texts: Mapping[str, str], book) -> dict[str, set[str]]:
    """{sentence id: themes one of whose codebook words the sentence holds},
    for the sentences that hold any."""
    from .suggest import theme_terms
    words = {t.id: theme_terms(t) for t in book.themes}
    out = {}
    for sid, text in texts.items():
        tokens = set(text.lower().split())
        hits = {t for t, w in words.items() if tokens & w}
        if hits:
            out[sid] = hits
    return out


def candidate_scores(sentences: pd.DataFrame, rule_themes: Mapping[str, set[str]], probs: np.ndarray,
                     themes: Sequence[str], suggestive: Mapping[str, set[str]]) -> pd.DataFrame:
    """Why each sentence is worth a label, as a score in [0, 1] and the theme
    it is a candidate for: the rules and the model disagree on a theme
    (score: how sure the model is), the model is unsure (p near 0.5), or a
    codebook word of a theme appears but no theme was tagged. Possible gaps
    in the rules (the model sees a theme they miss) come first."""
    rows = []
    for i, s in enumerate(sentences.itertuples()):
        tagged = rule_themes.get(s.sentence_id, set())
        best = (0.0, "")
        for j, theme in enumerate(themes):
            p = float(probs[i, j]) if probs.size else 0.0
            if p >= 0.5 and theme not in tagged:  # the model sees a theme the rules miss: a possible gap
                best = max(best, (0.5 + abs(p - 0.5), theme))
            elif theme in tagged and p < 0.5:  # the rules tag what the model doubts: worth a check, less often
                best = max(best, (0.3, theme))
            best = max(best, (1.0 - 2 * abs(p - 0.5), theme)) if 0.3 <= p <= 0.7 else best
        for theme in suggestive.get(s.sentence_id, set()):
            if not tagged:
                best = max(best, (0.6, theme))
        if best[0] > 0:
            rows.append({"sentence_id": s.sentence_id, "statement_id": s.statement_id, "text": s.text,
                         "score": round(best[0], 4), "theme": best[1]})
    return pd.DataFrame(rows, columns=["sentence_id", "statement_id", "text", "score", "theme"])


def write_queue_xlsx(path: Path, rows: pd.DataFrame, themes: Sequence[tuple[str, str, str]], *,
                     prefill: Mapping[str, set[str]] | None = None) -> None:
    """The labelling sheet: context columns, one 0/1 column per theme (a
    drop-down), coder and notes; the theme definitions on a second sheet.
    Blank unless ``prefill`` (then the first row says the tags are there to
    be corrected)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation
    book = Workbook()
    sheet = book.active
    sheet.title = "queue"
    ids = [t[0] for t in themes]
    sheet.append(FIXED_COLUMNS + ids + FREE_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows.itertuples():
        tags = (prefill or {}).get(r.sentence_id, set())
        sheet.append([r.sentence_id, r.statement, r.meeting, r.before, r.text, r.after]
                     + [(1 if t in tags else 0) if prefill is not None else None for t in ids] + ["", ""])
    last = sheet.max_row
    choice = DataValidation(type="list", formula1='"0,1"', allow_blank=True, showErrorMessage=True,
                            errorTitle="0 or 1", error="Type 1 if the sentence carries the theme, 0 if not.")
    sheet.add_data_validation(choice)
    first_theme = len(FIXED_COLUMNS) + 1
    from openpyxl.utils import get_column_letter
    for k in range(len(ids)):
        col = get_column_letter(first_theme + k)
        choice.add(f"{col}2:{col}{max(last, 2)}")
    for col, width in zip("ABCDEF", (16, 28, 16, 40, 70, 40)):
        sheet.column_dimensions[col].width = width
    for row in sheet.iter_rows(min_row=2, max_col=6):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "B2"
    info = book.create_sheet("themes")
    info.append(["theme", "label", "definition"])
    for theme in themes:
        info.append(list(theme))
    info.append([])
    info.append(["how to label", "", "Type 1 under each theme the sentence is about, 0 under the others; put your "
                 "name in 'coder'. Do not edit the id or sentence columns." + (
                     " The theme columns are PRE-FILLED with the pipeline's current tags: correct them."
                     if prefill is not None else "")])
    book.properties.creator = "bali-themes"
    book.properties.created = book.properties.modified = dt.datetime(2000, 1, 1)
    book.save(path)


# -- reading labels back ----------------------------------------------------------------------------------------

@dataclass
class Label:
    id: str
    text: str
    themes: list[str]
    coder: str
    notes: str
    row: int


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_rows(path: Path) -> tuple[list[str], list[tuple[int, dict]]]:
    """Header and (row number, cells by header) from an xlsx, csv or jsonl file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook
        try:
            book = load_workbook(path, data_only=True)
        except Exception as err:  # openpyxl raises several kinds for a damaged file
            raise PipelineError(f"{path}: not a readable .xlsx file ({type(err).__name__}): save it again from "
                                "your spreadsheet program") from None
        sheet = book["queue"] if "queue" in book.sheetnames else book.worksheets[0]
        if sheet.merged_cells.ranges:
            raise PipelineError(f"{path}: merged cells ({sorted(r.coord for r in sheet.merged_cells.ranges)[0]}): unmerge them, one "
                                "value per cell")
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            raise PipelineError(f"{path}: the sheet is empty")
        header = [_cell_text(h) for h in values[0]]
        return header, [(n, dict(zip(header, row))) for n, row in enumerate(values[1:], start=2)]
    if suffix == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        return list(table.columns), [(n, row) for n, row in enumerate(table.to_dict("records"), start=2)]
    if suffix == ".jsonl":
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    rows.append((n, json.loads(line)))
                except json.JSONDecodeError as err:
                    raise PipelineError(f"{path}, line {n}: not JSON ({err.msg})") from None
        header = sorted({k for _, r in rows for k in r})
        return header, rows
    raise PipelineError(f"{path}: unsupported file type {suffix!r}: use .xlsx, .csv or .jsonl")


def read_labels(path: Path, *, coder: str, themes: Sequence[str], sentences: Mapping[str, str],
                ) -> tuple[list[Label], int]:
    """Labelled rows of a filled-in sheet and how many rows were left blank.
    A row counts as labelled once any theme cell holds a value; its empty
    theme cells then mean 0 (a coder marks the themes that apply). 1, 0,
    "1.0", yes/no, y/n, true/false and x are read; spaces around values and
    ids are ignored. Every problem is collected (unknown id, changed
    sentence, any other value, duplicates, unknown theme columns, ids the
    spreadsheet turned into dates, formulas) and raised together, so a coder
    fixes them in one pass; nothing is read from a file with a problem."""
    header, rows = _sheet_rows(path)
    problems: list[str] = []
    if "id" not in header:
        raise PipelineError(f"{path}: no 'id' column: keep the header row of the queue as it was written")
    extra = [h for h in header if h and h not in FIXED_COLUMNS + FREE_COLUMNS + list(themes)
             and not h.startswith("themes")]
    if extra and path.suffix.lower() != ".jsonl":
        problems.append(f"unknown column(s) {', '.join(map(repr, extra))}: theme columns must be codebook ids")
    theme_columns = [t for t in themes if t in header]
    labels, blank, seen = [], 0, {}
    for n, cells in rows:
        raw_id = cells.get("id")
        if isinstance(raw_id, (dt.datetime, dt.date)):
            problems.append(f"row {n}: the id is a date ({raw_id}): the spreadsheet converted it; format the id "
                            "column as text and paste the ids again")
            continue
        sid = _cell_text(raw_id)
        if not sid and not any(_cell_text(cells.get(t)) for t in theme_columns):
            continue  # an empty line
        if sid.startswith("="):
            problems.append(f"row {n}: the id is a formula: paste values only")
            continue
        if sid not in sentences:
            problems.append(f"row {n}: unknown sentence id {sid!r}: it is not in the tagged corpus")
            continue
        if "sentence" in cells and _cell_text(cells["sentence"]) and \
                _normalised(_cell_text(cells["sentence"])) != _normalised(sentences[sid]):
            problems.append(f"row {n}: the sentence text of {sid} was changed: label the sentence as written")
            continue
        if sid in seen:
            problems.append(f"row {n}: {sid} is labelled twice (also row {seen[sid]})")
            continue
        seen[sid] = n
        values = {}
        if path.suffix.lower() == ".jsonl":
            listed = cells.get("themes")
            if not isinstance(listed, list) or any(t not in themes for t in listed):
                problems.append(f"row {n}: 'themes' must be a list of codebook theme ids")
                continue
            values = {t: t in listed for t in themes}
        else:
            for t in theme_columns:
                value = cells.get(t)
                text = _cell_text(value).lower()
                if isinstance(value, str) and value.startswith("="):
                    problems.append(f"row {n}, column {t}: a formula: type 0 or 1")
                elif text in TRUE:
                    values[t] = True
                elif text in FALSE:
                    values[t] = False if text else None
                else:
                    problems.append(f"row {n}, column {t}: {value!r} is not 0 or 1")
            if all(v is None for v in values.values()):
                blank += 1  # not labelled yet: a row counts once any theme cell holds 0 or 1
                continue
        labels.append(Label(sid, sentences[sid], sorted(t for t, v in values.items() if v),
                            _cell_text(cells.get("coder")) or coder, _cell_text(cells.get("notes")), n))
    if problems:
        shown = "\n  ".join(problems[:30]) + (f"\n  ... and {len(problems) - 30} more" if len(problems) > 30 else "")
        raise PipelineError(f"{path}: {len(problems)} problem(s); nothing was imported:\n  {shown}")
    return labels, blank


def gold_rows(labels: Iterable[Label], *, coder: str, source: str, date: str) -> list[dict]:
    return [{"id": lab.id, "text": lab.text, "themes": lab.themes, "coder": coder, "date": date,
             "source": source, **({"notes": lab.notes} if lab.notes else {})} for lab in labels]


# -- agreement --------------------------------------------------------------------------------------------------

def labels_by_coder(rows: Iterable[Mapping]) -> dict[str, dict[str, set[str]]]:
    """Gold rows that name a coder, as coder -> sentence id -> themes
    ('adjudicated' included: callers leave it out of agreement)."""
    out: dict[str, dict[str, set[str]]] = {}
    for row in rows:
        if row.get("coder"):
            out.setdefault(str(row["coder"]), {})[str(row["id"])] = set(row["themes"])
    return out


def agreement(by_coder: Mapping[str, Mapping[str, set[str]]], themes: Sequence[str]) -> dict:
    """Krippendorff's alpha per theme (nominal, over every sentence two or
    more coders labelled; the krippendorff package) and micro-F1 between
    each pair of coders on the sentences both labelled."""
    import krippendorff
    coders = sorted(by_coder)
    shared = sorted({i for c in coders for i in by_coder[c]
                     if sum(i in by_coder[o] for o in coders) >= 2})
    out: dict = {"coders": coders, "sentences": len(shared), "alpha": {}, "pairs": {}}
    if len(coders) < 2 or not shared:
        return out
    for theme in themes:
        data = np.array([[float(theme in by_coder[c][i]) if i in by_coder[c] else np.nan for i in shared]
                         for c in coders])
        values = data[~np.isnan(data)]
        if len(set(values)) < 2:
            out["alpha"][theme] = None  # every coder said the same everywhere: alpha is undefined
            continue
        out["alpha"][theme] = round(float(krippendorff.alpha(reliability_data=data,
                                                             level_of_measurement="nominal")), 4)
    for a_i, a in enumerate(coders):
        for b in coders[a_i + 1:]:
            common = sorted(set(by_coder[a]) & set(by_coder[b]))
            tp = sum(len(by_coder[a][i] & by_coder[b][i]) for i in common)
            fp = sum(len(by_coder[b][i] - by_coder[a][i]) for i in common)
            fn = sum(len(by_coder[a][i] - by_coder[b][i]) for i in common)
            f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
            out["pairs"][f"{a} vs {b}"] = {"sentences": len(common), "micro_f1": round(f1, 4)}
    return out


def disagreements(by_coder: Mapping[str, Mapping[str, set[str]]], texts: Mapping[str, str]) -> pd.DataFrame:
    """Every sentence two or more coders labelled differently, with each coder's themes."""
    coders = sorted(by_coder)
    rows = []
    for sid in sorted({i for c in coders for i in by_coder[c]}):
        labelled = {c: by_coder[c][sid] for c in coders if sid in by_coder[c]}
        if len(labelled) >= 2 and len({frozenset(v) for v in labelled.values()}) > 1:
            rows.append({"id": sid, "sentence": texts.get(sid, ""),
                         **{f"coder {c}": " ".join(sorted(v)) for c, v in labelled.items()}})
    return pd.DataFrame(rows)


# -- the claim, measured ----------------------------------------------------------------------------------------

def simulate(book, pool: Sequence[dict], test: Sequence[dict], *, rules_of, n: int, seeds: Sequence[int] = (0, 1, 2),
             steps: Sequence[int] = (25, 50, 75, 100), folds: int = 5, min_precision: float = 0.9,
             min_gain: int = 3) -> dict:
    """Labels picked by the queue against labels picked at random, with an
    oracle coder (the gold labels of ``pool``): after each step of labels,
    the learned model is retrained (codebook examples + the labels so far)
    and scored on ``test``, which the queue never sees, three ways:

    - ``queue_model`` / ``random_model``: the model alone at p >= 0.5 (what
      the labels train);
    - ``queue`` / ``random``: the rules plus every theme the model gives
      p >= 0.5 (the model's own reach);
    - ``queue_joined`` / ``random_joined``: the rules plus the model's
      *joined* themes only, chosen as the train stage chooses them (held-out
      F1 rises at precision >= ``min_precision``): what `make run` would tag.

    ``rules_of(texts)`` gives the rules' themes."""
    from .evaluate import document_of, score
    from .learned import ThemeModel, train_model, training_set
    themes = book.ids()
    test_texts = [r["text"] for r in test]
    test_rules = rules_of(test_texts)
    pool_rules = rules_of([r["text"] for r in pool])
    truth = {r["id"]: r for r in pool}
    rules_by_id = {r["id"]: s for r, s in zip(pool, pool_rules)}

    def f1(predicted: Sequence[set[str]]) -> float:
        return score(test, {r["id"]: p for r, p in zip(test, predicted)}, themes)["micro"]["f1"]

    def held_out_f1(labelled: list[dict]) -> tuple[float, float, float]:
        model = ThemeModel(themes).fit(*training_set(book, labelled))
        found = model.predict(test_texts, threshold=0.5)
        joined = train_model(book, labelled, [rules_by_id[r["id"]] for r in labelled],
                             groups=[document_of(r) for r in labelled], folds=folds, min_precision=min_precision,
                             min_gain=min_gain)
        added = joined.joined_themes(test_texts)
        return (f1([a | b for a, b in zip(test_rules, found)]), f1([a | set(b) for a, b in zip(test_rules, added)]),
                f1(found))

    def queue_order() -> list[str]:
        """The order a researcher labels in with the queue: a batch of queue
        picks, then retrain on every label so far and queue the next batch
        (queue -> label -> import -> train -> queue); random order where the
        queue has no candidate left."""
        shuffled = [r["id"] for r in sorted(pool, key=lambda r: hashlib.sha256(f"{seeds[0]}:{r['id']}".encode())
                                                                 .hexdigest())]
        texts = [r["text"] for r in pool]
        frame = pd.DataFrame({"sentence_id": [r["id"] for r in pool], "statement_id": [r["id"] for r in pool],
                              "text": texts})
        suggestive = suggestive_themes(dict(zip(frame["sentence_id"], texts)), book)
        order: list[str] = []
        for batch in np.diff([0, *steps]):
            model = ThemeModel(themes).fit(*training_set(book, [truth[i] for i in order]))
            scored = candidate_scores(frame, rules_by_id, model.theme_probabilities(texts), themes, suggestive)
            picked = pick_queue(scored, n=int(batch), labelled=set(order), per_statement=n)["sentence_id"].tolist()
            taken = set(order) | set(picked)
            picked += [i for i in shuffled if i not in taken][:int(batch) - len(picked)]
            order += picked
        return order

    def curve(order: list[str]) -> list[tuple[float, float]]:
        return [held_out_f1([truth[i] for i in order[:k]]) for k in steps]

    queue = curve(queue_order())  # the queue is deterministic: one run
    per_seed = [curve([pool[i]["id"] for i in np.random.RandomState(seed).permutation(len(pool))]) for seed in seeds]
    mean = [[round(float(np.mean([run[i][way] for run in per_seed])), 4) for i in range(len(steps))]
            for way in (0, 1, 2)]
    return {"steps": list(steps), "pool": len(pool), "test": len(test), "seeds": list(seeds),
            "rules_alone": f1(test_rules),
            "queue_model": [round(q[2], 4) for q in queue], "random_model": mean[2],
            "queue": [round(q[0], 4) for q in queue], "random": mean[0],
            "queue_joined": [round(q[1], 4) for q in queue], "random_joined": mean[1]}
