"""Label, learn, measure: the annotation loop.

    python -m pipeline.annotate queue --n 100 --out outputs/local/queue.xlsx    # sentences worth labelling
    python -m pipeline.annotate import outputs/local/queue.xlsx --coder anna   # checked, then corpus/gold/anna.jsonl
    python -m pipeline.annotate agree --out outputs/local/adjudicate.xlsx      # alpha per theme, disagreements

Label in any spreadsheet program: 1 under each theme a sentence is about, 0 under the others. An import
checks every row and imports nothing until the file is clean. Then `make run`: train and evaluate use
every gold file in corpus/gold/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import _stage
from .core.annotate import (agreement, candidate_scores, disagreements, gold_rows, labels_by_coder, pick_queue,
                            read_labels, suggestive_themes, write_queue_xlsx)
from .core.codebook import load_codebook
from .core.errors import PipelineError
from .core.evaluate import load_gold
from .core.io import csv_writer, json_writer, text_writer, write_all
from .core.layout import Layout
from .core.learned import ThemeModel

L = Layout()
SCORED_AT_MOST = 20_000  # sentences scored for the queue (a fixed sample on larger corpora: the model is the cost)


def coder_files(gold_dir: Path) -> dict[str, dict[str, set[str]]]:
    """Labels by coder from every gold file whose rows name a coder."""
    return labels_by_coder(row for path in sorted(gold_dir.glob("*.jsonl")) for row in load_gold(path))


def read_corpus(interim: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    for name in ("sentences", "mentions", "statements"):
        if not (interim / f"{name}.parquet").exists():
            raise PipelineError(f"{interim / name}.parquet: not found: run the pipeline first (`make run`)")
    sentences = pd.read_parquet(interim / "sentences.parquet",
                                columns=["sentence_id", "statement_id", "meeting_id", "paragraph_id", "start", "end",
                                         "text"])
    sentences = sentences.sort_values(["statement_id", "start"]).reset_index(drop=True)
    same = sentences["statement_id"]
    sentences["before"] = sentences["text"].shift(1).where(same.shift(1) == same, "")
    sentences["after"] = sentences["text"].shift(-1).where(same.shift(-1) == same, "")
    statements = pd.read_parquet(interim / "statements.parquet", columns=["statement_id", "path", "title"])
    names = {r.statement_id: (r.title or r.path) for r in statements.itertuples()}
    sentences["statement"] = sentences["statement_id"].map(names).fillna("")
    sentences["meeting"] = sentences["meeting_id"]
    mentions = pd.read_parquet(interim / "mentions.parquet", columns=["sentence_id", "kind", "label"])
    return sentences, mentions[mentions["kind"] == "theme"]


def queue(args) -> int:
    book = load_codebook(args.codebook)
    themes = book.ids()
    sentences, mentions = read_corpus(args.interim)
    labelled = {i for coder in coder_files(args.gold).values() for i in coder}
    labelled |= {str(r["id"]) for p in sorted(args.gold.glob("*.jsonl")) for r in load_gold(p)}
    pool = sentences[~sentences["sentence_id"].isin(labelled)]
    if len(pool) > SCORED_AT_MOST:
        pool = pool.iloc[np.linspace(0, len(pool) - 1, SCORED_AT_MOST).astype(int)]
    rule_themes = mentions.groupby("sentence_id")["label"].agg(set).to_dict()
    model = ThemeModel.load(args.model) if args.model.exists() else None
    probs = model.theme_probabilities(pool["text"].tolist()) if model is not None else \
        np.zeros((len(pool), len(themes)))
    suggestive = suggestive_themes(dict(zip(pool["sentence_id"], pool["text"])), book)
    scored = candidate_scores(pool, rule_themes, probs, themes, suggestive)
    picked = pick_queue(scored, n=args.n, labelled=labelled)
    if picked.empty:
        raise PipelineError("no sentence left to label: every candidate is labelled already")
    rows = picked[["sentence_id"]].merge(sentences, on="sentence_id")
    prefill = {sid: rule_themes.get(sid, set()) for sid in rows["sentence_id"]} if args.prefill else None
    suffix = args.out.suffix.lower()
    table = rows.rename(columns={"sentence_id": "id", "text": "sentence"})[
        ["id", "statement", "meeting", "before", "sentence", "after"]]
    for t in themes:
        table[t] = [(1 if t in prefill[i] else 0) for i in table["id"]] if prefill is not None else ""
    table["coder"], table["notes"] = "", ""
    if suffix == ".xlsx":
        info = [(t.id, t.label, t.definition) for t in book.themes]
        write_all({args.out: lambda path: write_queue_xlsx(path, rows, info, prefill=prefill)})
    elif suffix == ".csv":
        write_all({args.out: csv_writer(table)})
    elif suffix == ".jsonl":
        lines = "".join(json.dumps({"id": r.id, "text": r.sentence, "themes": sorted(prefill[r.id]) if prefill
                                    else [], "statement": r.statement}, ensure_ascii=False) + "\n"
                        for r in table.itertuples())
        write_all({args.out: text_writer(lines)})
    else:
        raise PipelineError(f"{args.out}: use .xlsx, .csv or .jsonl")
    spread = picked["theme"].value_counts().to_dict()
    _stage.log(f"annotate: {len(picked)} sentences from {picked['statement_id'].nunique()} statements -> {args.out} "
               f"(candidates for: {', '.join(f'{k} {v}' for k, v in sorted(spread.items()))})"
               + ("; theme columns pre-filled with the current tags" if prefill is not None else ""))
    return 0


def labels_from_qdpx(path: Path, book, sentences: pd.DataFrame, interim: Path) -> list:
    """Labels from a REFI-QDA project whose codings a researcher corrected in a QDA program."""
    from .core.annotate import Label
    from .core.qdpx import labels_from_codings, project_codings
    statements = pd.read_parquet(interim / "statements.parquet", columns=["statement_id", "path", "status", "text"])
    statements = statements[statements["status"] == "ok"]
    sources, codings = project_codings(path)
    rows, problems = labels_from_codings(sources, codings, statements=statements, sentences=sentences,
                                         themes=[(t.id, t.label) for t in book.themes])
    if problems:
        raise PipelineError(f"{path}: {len(problems)} problem(s); nothing was imported:\n  " + "\n  ".join(problems[:30]))
    return [Label(r["id"], r["text"], r["themes"], "", "", 0) for r in rows]


def import_labels(args) -> int:
    book = load_codebook(args.codebook)
    sentences, _ = read_corpus(args.interim)
    texts = dict(zip(sentences["sentence_id"], sentences["text"]))
    if args.file.suffix.lower() == ".qdpx":
        labels, blank = labels_from_qdpx(args.file, book, sentences, args.interim), 0
    else:
        labels, blank = read_labels(args.file, coder=args.coder, themes=book.ids(), sentences=texts)
    if not labels:
        raise PipelineError(f"{args.file}: no labelled row (every theme cell is empty): label some sentences first")
    target = args.gold / f"{args.coder}.jsonl"
    earlier = {str(r["id"]) for r in load_gold(target)} if target.exists() else set()
    again = sorted({lab.id for lab in labels} & earlier)
    if again:
        raise PipelineError(f"{target}: {args.coder} has labelled {len(again)} of these sentences before "
                            f"({', '.join(again[:5])}{'...' if len(again) > 5 else ''}): earlier labels are never "
                            "overwritten; remove those rows or import as another coder")
    rows = gold_rows(labels, coder=args.coder, source=args.file.name, date=args.date or dt.date.today().isoformat())
    old = target.read_text(encoding="utf-8") if target.exists() else ""
    new = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in rows)
    write_all({target: text_writer(old + new)})
    _stage.log(f"annotate: {len(rows)} labelled sentences by {args.coder} -> {target}"
               + (f" ({blank} blank rows left out)" if blank else ""))
    return 0


def agree(args) -> int:
    book = load_codebook(args.codebook)
    by_coder = coder_files(args.gold)
    adjudicated = by_coder.pop("adjudicated", None)
    result = agreement(by_coder, book.ids())
    if adjudicated:
        result["adjudicated"] = len(adjudicated)
    texts = {str(r["id"]): r["text"] for p in sorted(args.gold.glob("*.jsonl")) for r in load_gold(p)}
    table = disagreements(by_coder, texts)
    writers = {args.metrics: json_writer(result)}
    if args.out:
        sheet = table.copy()
        for t in book.ids():
            sheet[t] = ""
        sheet["coder"], sheet["notes"] = "adjudicated", ""
        sheet = sheet.rename(columns={"sentence": "sentence"})
        writers[args.out] = (lambda path: sheet.to_excel(path, index=False, sheet_name="queue")) \
            if args.out.suffix.lower() == ".xlsx" else csv_writer(sheet)
    write_all(writers)
    alphas = ", ".join(f"{t} {a:.2f}" for t, a in result["alpha"].items() if a is not None) or "none yet"
    _stage.log(f"annotate: {len(by_coder)} coders, {result['sentences']} sentences labelled by two or more; "
               f"alpha per theme: {alphas}; {len(table)} disagreements"
               + (f" -> {args.out} (fill in the theme columns, then import it with --coder adjudicated)"
                  if args.out else ""))
    return 0


def simulate_claim(args) -> int:
    from .core.annotate import simulate
    from .core.evaluate import split_of
    from .core.nlp import tagging_pipeline
    from .core.themes import sentence_themes
    book = load_codebook(args.codebook)
    rows = load_gold(args.oracle)
    pool = [r for r in rows if split_of(r) == "dev"]
    test = [r for r in rows if split_of(r) == "held-back"]
    nlp = tagging_pipeline(gazetteer=L.gazetteer, cities=L.cities, codebook=args.codebook)
    steps = [k for k in (25, 50, 75, 100, 150, 200) if k <= min(args.n, len(pool))]
    learned = _stage.params(args).learned
    result = simulate(book, pool, test, rules_of=lambda texts: [sentence_themes(d) for d in nlp.pipe(texts)],
                      n=args.n, steps=steps, folds=learned.folds, min_precision=learned.join_min_precision,
                      min_gain=learned.join_min_gain)
    write_all({args.out: json_writer(result)})
    _stage.log(f"annotate: held-out micro-F1 on {len(test)} sentences the queue never saw, queue / random "
               f"(mean of {len(result['seeds'])} seeds); rules alone {result['rules_alone']:.3f}")
    for k, qm, rm, q, r, qj, rj in zip(result["steps"], result["queue_model"], result["random_model"],
                                       result["queue"], result["random"], result["queue_joined"],
                                       result["random_joined"]):
        _stage.log(f"  {k:>4} labels: model alone {qm:.3f} / {rm:.3f}; rules + model at p >= 0.5 {q:.3f} / {r:.3f}; "
                   f"rules + model as `make run` joins it {qj:.3f} / {rj:.3f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--codebook", type=Path, default=L.codebook, help="theme codebook")
    common.add_argument("--gold", type=Path, default=L.gold, help="folder of gold files (JSON Lines)")
    q = sub.add_parser("queue", parents=[common], help="pick sentences worth labelling into a sheet")
    q.add_argument("--n", type=int, default=100, help="sentences in the queue")
    q.add_argument("--out", type=Path, required=True, help="the sheet: .xlsx, .csv or .jsonl")
    q.add_argument("--interim", type=Path, default=L.interim, help="the tagged corpus (sentences, mentions)")
    q.add_argument("--model", type=Path, default=L.model, help="the learned tagger (optional)")
    q.add_argument("--prefill", action="store_true", help="fill the theme columns with the current tags, to correct")
    i = sub.add_parser("import", parents=[common], help="check a labelled sheet and add it to the gold files")
    i.add_argument("file", type=Path, help="the labelled .xlsx, .csv, .jsonl, or a .qdpx coded in a QDA program")
    i.add_argument("--coder", required=True, help="who labelled it (the gold file is corpus/gold/<coder>.jsonl)")
    i.add_argument("--interim", type=Path, default=L.interim, help="the tagged corpus the sentences come from")
    i.add_argument("--date", default="", help="labelling date (default: today)")
    a = sub.add_parser("agree", parents=[common], help="agreement between coders and a sheet of disagreements")
    a.add_argument("--out", type=Path, help="adjudication sheet of the disagreements (.xlsx or .csv)")
    a.add_argument("--metrics", type=Path, default=Path("outputs/local/agreement.json"), help="agreement figures (JSON)")
    s = sub.add_parser("simulate", parents=[common],
                       help="the claim, measured: queue-picked against random labels, with a gold file as the coder")
    s.add_argument("--oracle", type=Path, required=True, help="a labelled JSON Lines file playing the coder")
    s.add_argument("--params", type=Path, default=Path("params.yaml"),
                   help="parameters file (learned.folds, join_min_precision and join_min_gain, as train uses them)")
    s.add_argument("--n", type=int, default=100, help="labels bought")
    s.add_argument("--out", type=Path, default=Path("outputs/local/annotation-claim.json"), help="both curves (JSON)")
    args = p.parse_args(argv)
    if args.command == "import" and not args.coder.replace("-", "").replace("_", "").isalnum():
        raise PipelineError(f"--coder {args.coder!r}: use letters, digits, '-' or '_' (it names a file)")
    return {"queue": queue, "import": import_labels, "agree": agree, "simulate": simulate_claim}[args.command](args)


if __name__ == "__main__":
    _stage.run(lambda argv: main(argv if argv is not None else sys.argv[1:]))
