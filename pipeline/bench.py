"""Benchmark: words per second and peak memory of the tag stage against spaCy's blank tokenizer, end-to-end runs,
and the rerun after adding one statement.

    python -m pipeline.bench --corpus path/to/UNGDC_folder [--archive path/to/ungdc-1946-2024.tar.xz]

The corpus is any folder (or .tar.xz) of UNGDC files (ISO3_SESSION_YEAR.txt). Every figure is written to
--out (default outputs/metrics/bench.json) and printed as a table. Speeds are compared as ratios to the
baseline measured in the same run, so a busy machine shifts both. Each measurement runs in a child process,
which reports its own wall time and peak resident memory (its worker processes included).
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from . import _stage
from .core.errors import PipelineError
from .core.io import json_writer, write_all

TARGETS = {
    "tag_1_process_vs_tokenizer": (">=", 0.5),
    "tag_2_processes_vs_1": (">=", 1.6),
    "archive_end_to_end_seconds": ("<", 600),
    "archive_end_to_end_peak_mb": ("<", 2048),
    "rerun_add_one_vs_full_run": ("<", 0.05),
}


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # Linux reports kilobytes


def child(argv: list[str]) -> int:
    """Inside the measured process: run one job, print {seconds, peak_mb, ...} as JSON."""
    kind, *rest = argv
    started = time.perf_counter()
    extra: dict = {}
    if kind == "tokenizer":
        import pandas as pd
        import spacy
        texts = pd.read_parquet(Path(rest[0]) / "statements.parquet", columns=["text"])["text"].tolist()
        nlp = spacy.blank("en")
        started = time.perf_counter()  # the baseline times tokenizing only
        for text in texts:
            nlp.make_doc(text)
    elif kind == "stages":
        from . import ingest, tag, trends
        statements, manifest, work, params, stages = rest
        interim, tables, metrics = Path(work) / "interim", Path(work) / "tables", Path(work) / "metrics"
        commands = {
            "ingest": (ingest.main, ["--statements", statements, "--manifest", manifest, "--out", str(interim),
                                     "--metrics", str(metrics / "ingest.json")]),
            "tag": (tag.main, ["--interim", str(interim), "--tables", str(tables),
                               "--metrics", str(metrics / "tag.json")]),
            "trends": (trends.main, ["--interim", str(interim), "--attendance", str(tables / "attendance.csv"),
                                     "--tables", str(tables), "--metrics", str(metrics / "trends.json")]),
        }
        for name in stages.split(","):
            t = time.perf_counter()
            main, args = commands[name]
            main(args + ["--params", params])
            extra[f"{name}_seconds"] = round(time.perf_counter() - t, 2)
    else:
        raise PipelineError(f"bench: unknown job {kind!r}")
    print(json.dumps({"seconds": round(time.perf_counter() - started, 2), "peak_mb": _peak_mb(), **extra}))
    return 0


def measure(*job: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "pipeline.bench", "--child", *job], capture_output=True, text=True)
    if done.returncode != 0:
        raise PipelineError(f"bench: {job[0]} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_params(path: Path, *, n_process: int, cache: Path | None) -> str:
    params = yaml.safe_load(Path("params.yaml").read_text(encoding="utf-8")) if Path("params.yaml").exists() else {}
    params.setdefault("tag", {}).update(n_process=n_process, cache_dir=str(cache / "tag") if cache else "")
    params.setdefault("ingest", {})["cache_dir"] = str(cache / "ingest") if cache else ""
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return str(path)


def import_corpus(source: Path, out: Path) -> tuple[str, str]:
    from . import import_ungdc
    import_ungdc.main([str(source), "--out", str(out)])
    return str(out / "statements"), str(out / "statements.csv")


def words_in(work: Path) -> int:
    return int(json.loads((work / "metrics" / "ingest.json").read_text())["words"])


def run_bench(corpus: Path, archive: Path | None, scratch: Path) -> dict:
    results: dict = {"machine": {"python": platform.python_version(), "cpus": _cpus(), "platform": platform.platform()}}
    statements, manifest = import_corpus(corpus, scratch / "corpus")
    plain1 = write_params(scratch / "p1.yaml", n_process=1, cache=None)
    plain2 = write_params(scratch / "p2.yaml", n_process=2, cache=None)
    _stage.log("bench: ingest (for the texts)")
    measure("stages", statements, manifest, str(scratch / "w"), plain1, "ingest")
    words = words_in(scratch / "w")
    results["corpus"] = {"statements_folder": str(corpus), "words": words}

    _stage.log("bench: (a) blank tokenizer baseline")
    base = measure("tokenizer", str(scratch / "w" / "interim"))
    _stage.log("bench: (b) tag stage, 1 and 2 processes")
    tag1 = measure("stages", statements, manifest, str(scratch / "w"), plain1, "tag")
    tag2 = measure("stages", statements, manifest, str(scratch / "w"), plain2, "tag")
    for name, m in (("tokenizer", base), ("tag_1_process", tag1), ("tag_2_processes", tag2)):
        results[name] = {**m, "words_per_second": round(words / m["seconds"])}

    _stage.log("bench: (c) ingest -> tag -> trends, then (d) the rerun after adding one statement")
    cache = scratch / "cache"
    cached2 = write_params(scratch / "c2.yaml", n_process=2, cache=cache)
    full = measure("stages", statements, manifest, str(scratch / "e2e"), cached2, "ingest,tag,trends")
    results["end_to_end"] = {**full, "words_per_second": round(words / full["seconds"])}
    added = _add_one_statement(Path(statements))
    rerun = measure("stages", statements, manifest, str(scratch / "e2e"), cached2, "ingest,tag,trends")
    results["rerun_add_one"] = {**rerun, "added": added}

    if archive is not None:
        _stage.log("bench: (c) the full archive, ingest -> tag -> trends with 2 processes")
        big_statements, big_manifest = import_corpus(archive, scratch / "archive")
        big = measure("stages", big_statements, big_manifest, str(scratch / "archive-run"),
                      write_params(scratch / "a2.yaml", n_process=2, cache=scratch / "archive-cache"),
                      "ingest,tag,trends")
        big_words = words_in(scratch / "archive-run")
        results["archive_end_to_end"] = {**big, "words": big_words, "words_per_second": round(big_words / big["seconds"])}

    ratios = {
        "tag_1_process_vs_tokenizer": round(results["tag_1_process"]["words_per_second"] / base_wps(results), 3),
        "tag_2_processes_vs_1": round(tag1["seconds"] / tag2["seconds"], 3),
        "rerun_add_one_vs_full_run": round(rerun["seconds"] / full["seconds"], 4),
    }
    if archive is not None:
        ratios["archive_end_to_end_seconds"] = results["archive_end_to_end"]["seconds"]
        ratios["archive_end_to_end_peak_mb"] = results["archive_end_to_end"]["peak_mb"]
        ratios["rerun_add_one_vs_archive_run"] = round(rerun["seconds"] / results["archive_end_to_end"]["seconds"], 4)
    results["ratios"] = ratios
    results["targets"] = {name: {"target": f"{op} {limit}", "measured": ratios[name],
                                 "met": ratios[name] >= limit if op == ">=" else ratios[name] < limit}
                          for name, (op, limit) in TARGETS.items() if name in ratios}
    return results


def base_wps(results: dict) -> float:
    return results["tokenizer"]["words_per_second"]


def _cpus() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _add_one_statement(folder: Path) -> str:
    """A new speech in the corpus folder (a copy of an existing one under a
    new session number, with one sentence added, so it is new content)."""
    source = sorted(folder.glob("*.txt"))[0]
    iso, _, year = source.stem.split("_")
    target = folder / f"{iso}_99_{year}.txt"
    target.write_text(source.read_text(encoding="utf-8") + "\n\nWe will end trafficking in persons.\n",
                      encoding="utf-8")
    return target.name


def table(results: dict) -> str:
    rows = [("measurement", "seconds", "words/s", "peak MB")]
    for name in ("tokenizer", "tag_1_process", "tag_2_processes", "end_to_end", "rerun_add_one", "archive_end_to_end"):
        if name in results:
            m = results[name]
            rows.append((name, f"{m['seconds']:.1f}", f"{m.get('words_per_second', '')}", f"{m['peak_mb']:.0f}"))
    rows.append(("", "", "", ""))
    rows += [(name, t["target"], str(t["measured"]), "met" if t["met"] else "MISSED")
             for name, t in results["targets"].items()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return child(argv[1:])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", type=Path, required=True, help="folder or .tar.xz of UNGDC files (e.g. the 952 speeches)")
    p.add_argument("--archive", type=Path, help="the full UNGDC archive (.tar.xz or folder) for the scale run")
    p.add_argument("--out", type=Path, default=Path("outputs/metrics/bench.json"), help="figures as JSON")
    p.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary folder)")
    args = p.parse_args(argv)
    for path in filter(None, [args.corpus, args.archive]):
        if not path.exists():
            raise PipelineError(f"{path}: not found: pass a folder or archive of UNGDC files")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = run_bench(args.corpus, args.archive, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
            results = run_bench(args.corpus, args.archive, Path(scratch))
    write_all({args.out: json_writer(results)})
    print(table(results))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    _stage.run(main)
