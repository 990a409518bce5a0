"""What every stage's command line shares: params, progress, errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from .core.errors import PipelineError


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="parameters file")
    return p


def load_params(path: Path, section: str) -> dict[str, Any]:
    """One section of params.yaml (an absent file or section gives {})."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        raise PipelineError(f"{path}: not valid YAML: {err}") from err
    value = data.get(section) or {}
    if not isinstance(value, dict):
        raise PipelineError(f"{path}: section '{section}' must be a mapping of names to values")
    return value


def progress(items: Iterable, *, desc: str, unit: str, total: int | None = None) -> Iterable:
    """A progress bar on stderr when it is a terminal; silent in logs and CI."""
    return tqdm(items, desc=desc, unit=unit, total=total, disable=None, leave=False)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> None:
    """Run a stage's main(); a PipelineError is printed as one line, exit 2."""
    try:
        code = main(argv)
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: no outputs were changed", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
