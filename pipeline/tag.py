"""Stage `tag`: sentences, entities, themes, people and attendance from ingested statements.

    python -m pipeline.tag --interim outputs/interim --gazetteer corpus/gazetteer/actors.yaml ...

Statements are tagged one by one (in `tag.n_process` worker processes, or on the workers of the Dask
scheduler at `tag.scheduler` / `--scheduler`) and the rows streamed to
Parquet, so memory stays flat however large the corpus. Results are cached per statement in
`tag.cache_dir`: a rerun tags only new or changed statements, and a codebook edit re-runs only
theme matching.
"""

from __future__ import annotations

from collections import Counter

from . import _stage
from .core import records
from .core.gazetteer import load_actors
from .core.io import ParquetStream, csv_writer, json_writer, mover, write_all
from .core.nlp import tagging_pipeline
from .core.records import ATTENDANCE, ATTENDANCE_CHECK, MENTION, PERSON, SENTENCE, frame
from .core.tagstream import PipelineSpec, read_tasks, tag_tasks
from .stages import tag_cache


def main(argv: list[str] | None = None) -> int:
    args = _stage.parser(__doc__.splitlines()[0], "tag").parse_args(argv)
    params = _stage.params(args).tag
    nlp = tagging_pipeline(gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                           trained=params.trained_pipeline)
    cache = tag_cache(folder=params.cache_dir, gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                      trained=params.trained_pipeline)
    total, tasks = read_tasks(args.interim / "statements.parquet", args.interim / "paragraphs.parquet")
    names = {a.id: a.name for a in load_actors(args.gazetteer)}
    model = None
    if args.model.exists():  # imported here: scikit-learn takes ~0.5 s to import, which a corpus without a model skips
        from .core.learned import ThemeModel, model_mentions
        model = ThemeModel.load(args.model)
    parents = {t.id: t.parent for t in nlp.get_pipe("bali_themes").codebook.themes}
    joined = model is not None and bool(model.joined)
    sentences = ParquetStream(args.interim / "sentences.parquet", records.arrow_schema(SENTENCE, records.SENTENCE_SCHEMA_TYPES))
    mentions = ParquetStream(args.interim / "mentions.parquet", records.arrow_schema(MENTION, records.MENTION_SCHEMA_TYPES))
    people, attendance, checks = [], [], []
    kinds, labels, counts = Counter(), Counter(), {}
    try:
        spec = PipelineSpec.of(gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                               trained=params.trained_pipeline)
        results = tag_tasks(tasks, nlp=nlp, names=names, cache=cache, workers=_stage.workers(args, params),
                            spec=spec, counts=counts)
        for rows in _stage.progress(results, desc="tag", unit="statement", total=total):
            if joined:  # applied after the cache: a retrained model never meets stale cached rows
                rows.mentions += model_mentions(model, rows.sentences, rows.mentions, parents)
            sentences.extend(rows.sentences)
            mentions.extend(rows.mentions)
            kinds.update(m["kind"] for m in rows.mentions)
            labels.update(m["label"] for m in rows.mentions if m["kind"] == "entity")
            people += rows.people
            attendance += rows.attendance
            checks += rows.checks
        written = {args.interim / "sentences.parquet": mover(sentences.close()),
                   args.interim / "mentions.parquet": mover(mentions.close())}
    except BaseException:
        sentences.discard()
        mentions.discard()
        raise
    metrics = {"statements": total, "sentences": sentences.rows,
               "mentions": dict(sorted(kinds.items())), "entities_by_label": dict(sorted(labels.items())),
               "attendance_rows": len(attendance),
               "attendance_count_mismatches": sum(not c["matches"] for c in checks)}
    write_all({
        **written,
        args.tables / "attendance.csv": csv_writer(frame(attendance, ATTENDANCE)),
        args.tables / "attendance_checks.csv": csv_writer(frame(checks, ATTENDANCE_CHECK).astype({"stated_count": "Int64"})),
        args.tables / "people.csv": csv_writer(frame(people, PERSON)),
        args.metrics: json_writer(metrics),
    })
    for check in checks:
        if not check["matches"]:
            _stage.log(f"tag: {check['list_id']}: the text says {check['stated_count']} {check['list']} "
                       f"but names {check['listed_count']} (kept as written)")
    _stage.log(f"tag: {total} statements ({counts['tagged']} tagged, {counts['themes_only']} theme matching only, "
               f"{counts['cached']} from the cache) -> {sentences.rows} sentences, {mentions.rows} mentions")
    return 0


if __name__ == "__main__":
    _stage.run(main)
