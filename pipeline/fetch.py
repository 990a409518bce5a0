"""Fetch public statements listed in corpus/sources.csv into corpus/statements/fetched/, with manifest rows.

    python -m pipeline.fetch --sources corpus/sources.csv --statements corpus/statements \
        --manifest corpus/statements.csv --log outputs/metrics/fetch.json
    python -m pipeline.fetch --from-register corpus/meetings.csv --sources corpus/sources.csv   # (re)build sources

Not part of the offline pipeline: run it with `make fetch`, then `make run`. A page is reduced to its main text
(saved as Markdown); where it links the statement as a PDF, the PDF is saved instead. A file whose content
changed is kept as a new version and the previous one moved to corpus/superseded/. A source that fails is
reported with the reason; files already fetched stay, and the corpus stays usable.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
from pathlib import Path

from . import _stage
from .core.fetch import (SOURCE_COLUMNS, FetchError, Fetcher, Source, load_sources, main_text, sources_from_register,
                         statement_pdf_links)
from .core.errors import PipelineError
from .core.io import json_writer, write_all
from .core.manifest import MANIFEST_COLUMNS

FOLDER = "fetched"


def read_manifest_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    if not path.exists():
        return list(MANIFEST_COLUMNS), []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or MANIFEST_COLUMNS), list(reader)


def manifest_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="raise")
    writer.writeheader()
    writer.writerows({c: row.get(c, "") for c in columns} for row in rows)
    return out.getvalue()


def fetch_source(fetcher: Fetcher, source: Source, previous: dict[str, str] | None) -> tuple[str, bytes, dict] | None:
    """(extension, content, facts) of a source's statement, or None when the
    server says it has not changed. Raises FetchError."""
    response = fetcher.get(source.url, etag=(previous or {}).get("etag", ""),
                           last_modified=(previous or {}).get("last_modified", ""))
    if response.status == 304:
        return None
    if response.status != 200:
        raise FetchError(f"HTTP {response.status}")
    facts = {"http_status": str(response.status), "etag": response.headers.get("etag", ""),
             "last_modified": response.headers.get("last-modified", ""), "final_url": response.url}
    if response.is_pdf:
        return "pdf", response.body, facts
    html = response.body.decode("utf-8", "replace")
    for link in statement_pdf_links(html, response.url):
        try:
            pdf = fetcher.get(link)
        except FetchError:  # a dead or refused PDF link: try the next one, then keep the page itself
            continue
        if pdf.status == 200 and pdf.is_pdf:
            return "pdf", pdf.body, {**facts, "final_url": pdf.url}
    text = main_text(html, response.url)
    if not text:
        raise FetchError("the page has no main text to keep (is it the right address?)")
    title = source.meta.get("title", "")
    heading = f"# {title}\n\n" if title and not text.startswith("#") else ""
    return "md", (heading + text + "\n").encode("utf-8"), facts


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("--sources", type=Path, default=Path("corpus/sources.csv"), help="statement URLs and their meetings")
    p.add_argument("--statements", type=Path, default=Path("corpus/statements"), help="statements folder")
    p.add_argument("--manifest", type=Path, default=Path("corpus/statements.csv"), help="statement manifest")
    p.add_argument("--superseded", type=Path, default=Path("corpus/superseded"), help="where replaced versions go")
    p.add_argument("--log", type=Path, default=Path("outputs/metrics/fetch.json"), help="what happened to each URL")
    p.add_argument("--from-register", type=Path, help="build --sources from this meeting register CSV, then stop")
    args = p.parse_args(argv)
    if args.from_register:
        with args.from_register.open(encoding="utf-8-sig", newline="") as f:
            rows = sources_from_register(list(csv.DictReader(f)))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=SOURCE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_all({args.sources: lambda path: path.write_text(out.getvalue(), encoding="utf-8")})
        _stage.log(f"fetch: {len(rows)} sources with a public URL -> {args.sources}")
        return 0
    params = _stage.params(args).fetch
    fetcher = Fetcher(user_agent=params.user_agent, timeout=params.timeout_seconds, retries=params.retries,
                      backoff=params.backoff_seconds, min_interval=params.min_interval_seconds,
                      max_bytes=params.max_bytes, respect_robots=params.respect_robots_txt,
                      total_seconds=params.total_seconds)
    sources = load_sources(args.sources)
    columns, rows = read_manifest_rows(args.manifest)
    for extra in ("fetched_at", "sha256", "http_status", "etag", "last_modified"):
        if extra not in columns:
            columns.append(extra)
    by_url = {r.get("source_url", ""): r for r in rows if (r.get("file") or "").startswith(f"{FOLDER}/")}
    curated = {r.get("source_url", ""): r["file"] for r in rows
               if r.get("source_url") and not (r.get("file") or "").startswith(f"{FOLDER}/")}
    log: dict[str, dict] = {}
    for source in _stage.progress(sources, desc="fetch", unit="source"):
        if source.url in curated:  # saved by hand already: fetching it again would count the meeting twice
            log[source.url] = {"source_id": source.source_id, "status": "already in the corpus",
                               "file": curated[source.url]}
            continue
        previous = by_url.get(source.url)
        try:
            result = fetch_source(fetcher, source, previous)
        except FetchError as err:
            log[source.url] = {"source_id": source.source_id, "status": "failed", "reason": str(err)}
            _stage.log(f"fetch: {source.url}: failed: {err} (files already fetched are kept)")
            continue
        if result is None:
            log[source.url] = {"source_id": source.source_id, "status": "not modified",
                               "file": previous.get("file", "")}
            continue
        ext, content, facts = result
        rel = f"{FOLDER}/{source.source_id}.{ext}"
        status = save_version(args.statements, args.superseded, rel, content, previous)
        row = previous if previous is not None else {}
        if previous is None:
            rows.append(row)
            by_url[source.url] = row
        elif previous.get("file") and previous["file"] != rel:
            retire(args.statements, args.superseded, previous["file"])
        row.update({k: v for k, v in source.meta.items() if k in columns and k != "doc_type"})
        row.update(file=rel, source_url=source.url, sha256=hashlib.sha256(content).hexdigest(),
                   fetched_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                   http_status=facts["http_status"], etag=facts["etag"], last_modified=facts["last_modified"])
        log[source.url] = {"source_id": source.source_id, "status": status, "file": rel, "from": facts["final_url"]}
    text = manifest_text(columns, rows)
    write_all({args.manifest: lambda path: path.write_text(text, encoding="utf-8"), args.log: json_writer(log)})
    counts: dict[str, int] = {}
    for entry in log.values():
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    _stage.log(f"fetch: {len(sources)} sources: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) +
               f"; details in {args.log}")
    return 0


def save_version(statements: Path, superseded: Path, rel: str, content: bytes, previous: dict | None) -> str:
    """Write a fetched file: 'new', 'unchanged', or 'changed' (the previous
    content moved to ``superseded`` with its fetch time in the name)."""
    target = statements / rel
    if target.exists():
        if target.read_bytes() == content:
            return "unchanged"
        retire(statements, superseded, rel, stamp=(previous or {}).get("fetched_at", ""))
        status = "changed"
    else:
        status = "new"
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, target)
    return status


def retire(statements: Path, superseded: Path, rel: str, *, stamp: str = "") -> None:
    """Move a statement file out of the corpus, keeping it. A path from the
    manifest that leads outside the corpus folder is refused, never moved."""
    source = statements / rel
    if not source.resolve().is_relative_to(statements.resolve()) or source.is_symlink():
        raise PipelineError(f"manifest file {rel!r} is outside {statements}: fix the manifest row (files are named "
                            "relative to the corpus folder)")
    if not source.exists():
        return
    stamp = (stamp or dt.datetime.now(dt.timezone.utc).isoformat()).replace(":", "").replace("+0000", "Z")[:17]
    target = superseded / f"{Path(rel).stem}.{stamp}{Path(rel).suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, target)


if __name__ == "__main__":
    _stage.run(main)
