"""Where every input and output lives: one object, so stage defaults,
`run_corpus`, `bench`, `dvc.yaml` and the report's links cannot disagree.

``Layout()`` is the project's own layout (``corpus/`` in, ``outputs/`` out);
``Layout.under(out, statements=..., manifest=...)`` is a run of another
corpus into its own folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    # inputs a researcher curates
    statements: Path = Path("corpus/statements")
    manifest: Path = Path("corpus/statements.csv")
    register: Path = Path("corpus/meetings.csv")
    series: Path = Path("corpus/series.yaml")
    cities: Path = Path("corpus/gazetteer/cities.csv")
    gazetteer: Path = Path("corpus/gazetteer/actors.yaml")
    codebook: Path = Path("corpus/codebook.yaml")
    gold: Path = Path("corpus/gold")
    # generated
    outputs: Path = Path("outputs")

    @classmethod
    def under(cls, out: Path, **inputs: Path) -> Layout:
        """Outputs in ``out``; inputs as given, the project's otherwise."""
        return replace(cls(), outputs=Path(out), **{k: Path(v) for k, v in inputs.items()})

    # folders
    @property
    def interim(self) -> Path:
        return self.outputs / "interim"

    @property
    def tables(self) -> Path:
        return self.outputs / "tables"

    @property
    def figures(self) -> Path:
        return self.outputs / "figures"

    @property
    def metrics(self) -> Path:
        return self.outputs / "metrics"

    @property
    def models(self) -> Path:
        return self.outputs / "models"

    # files
    def interim_table(self, name: str) -> Path:
        return self.interim / f"{name}.parquet"

    def table(self, name: str) -> Path:
        return self.tables / f"{name}.csv"

    def metric(self, name: str) -> Path:
        return self.metrics / f"{name}.json"

    @property
    def model(self) -> Path:
        return self.models / "theme_model.joblib"

    @property
    def report(self) -> Path:
        return self.outputs / "report.html"

    def input_paths(self) -> dict[str, Path]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "outputs"}


def link_from(page: Path, target: Path) -> str:
    """``target`` as a link relative to the folder of ``page`` (POSIX slashes)."""
    rel = os.path.relpath(Path(target).absolute(), Path(page).absolute().parent)
    return Path(rel).as_posix()
