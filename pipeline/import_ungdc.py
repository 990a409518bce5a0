"""Turn UN General Debate Corpus files (ISO3_SESSION_YEAR.txt) into a corpus folder and manifest.

    python -m pipeline.import_ungdc path/to/ungdc_txt_folder_or.tar.xz --out corpus-ungdc

Writes OUT/statements/ (the speeches, copied) and OUT/statements.csv (series "UN General Debate",
one meeting per session with its year, the speaking state as speaker); then run the pipeline with
`python -m pipeline.run_corpus OUT/statements --manifest OUT/statements.csv --out ...`.
"""

from __future__ import annotations

import csv
import shutil
import tarfile
import tempfile
from pathlib import Path

from . import _stage
from .core.errors import PipelineError
from .core.gazetteer import load_actors
from .core.ungdc import MANIFEST_HEADER, manifest_row


def _files(source: Path, scratch: Path) -> list[Path]:
    """The .txt files of a folder, or of a .tar/.tar.gz/.tar.xz archive unpacked into ``scratch``."""
    if source.is_dir():
        return sorted(p for p in source.rglob("*.txt") if not p.name.startswith("."))
    if source.is_file() and tarfile.is_tarfile(source):
        try:
            with tarfile.open(source) as archive:
                archive.extractall(scratch, filter="data")  # refuses members that leave scratch or are links out
        except (tarfile.TarError, EOFError, OSError) as err:
            raise PipelineError(f"{source}: cannot unpack the archive ({type(err).__name__}: {err}): check it is "
                                "complete, or unpack it yourself and pass the folder") from None
        return sorted(p for p in scratch.rglob("*.txt") if not p.name.startswith("."))
    raise PipelineError(f"{source}: not a folder or a tar archive of UNGDC .txt files")


def main(argv: list[str] | None = None) -> int:
    p = _stage.parser(__doc__.splitlines()[0])
    p.add_argument("source", type=Path, help="folder (or .tar.xz) of UNGDC files named ISO3_SESSION_YEAR.txt")
    p.add_argument("--out", type=Path, required=True, help="corpus folder to create (statements/ and statements.csv)")
    p.add_argument("--gazetteer", type=Path, default=Path("corpus/gazetteer/actors.yaml"), help="names for titles")
    args = p.parse_args(argv)
    names = {a.id: a.name for a in load_actors(args.gazetteer)}
    if (args.out / "statements").exists() and any((args.out / "statements").iterdir()):
        raise PipelineError(f"{args.out / 'statements'}: already has files: choose an empty --out folder")
    with tempfile.TemporaryDirectory() as scratch:
        files = _files(args.source, Path(scratch))
        rows, skipped = [], []
        for path in files:
            row = manifest_row(path.name, names)
            (rows if row else skipped).append(row or path)
        if not rows:
            raise PipelineError(f"{args.source}: no files named ISO3_SESSION_YEAR.txt (e.g. PHL_78_2023.txt)")
        names_seen = [r["file"] for r in rows]
        if len(set(names_seen)) != len(names_seen):
            raise PipelineError(f"{args.source}: two files share a name in different folders: keep one of each")
        target = args.out / "statements"
        target.mkdir(parents=True, exist_ok=True)
        by_name = {p.name: p for p in files}
        for row in _stage.progress(rows, desc="import", unit="file"):
            shutil.copyfile(by_name[row["file"]], target / row["file"])
    with (args.out / "statements.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MANIFEST_HEADER, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    for path in skipped:
        _stage.log(f"import: {path.name}: not named ISO3_SESSION_YEAR.txt: left out (rename it to include it)")
    sessions = sorted({int(r["ordinal"]) for r in rows})
    _stage.log(f"import: {len(rows)} statements, sessions {sessions[0]}-{sessions[-1]} -> {args.out}; "
               f"{len(skipped)} files left out")
    return 0


if __name__ == "__main__":
    _stage.run(main)
