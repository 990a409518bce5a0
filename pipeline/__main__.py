"""Command-line entry: ``python -m pipeline tag`` -- the stable tagging interface.

Reads JSON Lines ``{"id": ..., "text": ...}`` on stdin and writes one line per
input on stdout::

    {"id": ..., "entities": [{"label", "id", "text", "start", "end"}],
                "themes":   [{"theme", "text", "start", "end"}]}

Offsets are character offsets into the given text. A line that cannot be
read gets ``{"id": ..., "error": "..."}`` (``"line": n`` where no id is
readable) and the run goes on. The pipeline is loaded once.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import IO

from . import _stage
from .core.nlp import tagging_pipeline
from .core.params import load_params
from .stages import FLAG_HELP, stage

BATCH = 256


_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_line(n: int, line: str | bytes) -> tuple[object, str | None, str | None]:
    """(id, text, error) of one input line (bytes are decoded as UTF-8 here,
    so one bad line is reported and the lines after it are still read)."""
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError as err:
            return None, None, f"line {n}: not UTF-8 (byte {err.start}): send UTF-8 text"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return None, None, f"line {n}: not JSON ({err.msg} at column {err.colno})"
    if not isinstance(record, dict):
        return None, None, f"line {n}: expected a JSON object with 'id' and 'text'"
    if "id" not in record:
        return None, None, f"line {n}: missing 'id'"
    if not isinstance(record.get("text"), str):
        return record["id"], None, "missing 'text' or it is not a string"
    if _SURROGATE.search(record["text"]) or _SURROGATE.search(json.dumps(record["id"], ensure_ascii=False)):
        return None, None, f"line {n}: holds a lone surrogate (such as \\ud800), which is not text: fix the escape"
    return record["id"], record["text"], None


def result_of(doc) -> dict:
    return {
        "entities": [{"label": e.label_, "id": e.kb_id_, "text": e.text, "start": e.start_char, "end": e.end_char}
                     for e in doc.ents],
        "themes": [{"theme": s.label_, "text": s.text, "start": s.start_char, "end": s.end_char}
                   for s in doc.spans.get("themes", [])],
    }


def tag_lines(nlp, lines: Iterable[str | bytes]) -> Iterator[dict]:
    """One output record per non-blank input line, in order, batched."""
    numbered = ((n, line) for n, line in enumerate(lines, start=1) if line.strip())
    while batch := list(islice(numbered, BATCH)):
        parsed = [parse_line(n, line) for n, line in batch]
        texts = [text for _, text, error in parsed if error is None]
        docs = iter(nlp.pipe(texts))
        for (n, _), (rid, _, error) in zip(batch, parsed):
            if error is None:
                yield {"id": rid, **result_of(next(docs))}
            elif rid is None:
                yield {"line": n, "error": error}
            else:
                yield {"id": rid, "error": error}


def tag_command(argv: list[str] | None, stdin: IO[str] | IO[bytes], stdout: IO[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline tag", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="parameters file (section 'tag')")
    for flag in ("--gazetteer", "--cities", "--codebook"):
        p.add_argument(flag, type=Path, default=stage("tag").flags[flag], help=FLAG_HELP[flag])
    args = p.parse_args(argv)
    nlp = tagging_pipeline(gazetteer=args.gazetteer, cities=args.cities, codebook=args.codebook,
                           trained=load_params(args.params).tag.trained_pipeline)
    for record in tag_lines(nlp, stdin):
        stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv[0] != "tag":
        print("usage: python -m pipeline tag [--help]\n\n" + __doc__, file=sys.stderr if argv and argv[0] not in
              ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    return tag_command(argv[1:], sys.stdin.buffer, sys.stdout)  # bytes: a bad line is reported, not fatal


if __name__ == "__main__":
    _stage.run(lambda argv: main(argv))
