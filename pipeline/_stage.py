"""What every stage's command line shares: params, progress, errors."""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from tqdm import tqdm

from .core.errors import PipelineError
from .core.params import Params, load_params
from .core.workers import Workers


class _DefaultsHelp(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default after its help, unless the help already says it
    or there is none to say (no value, an off switch, an empty list)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if "(default:" in (action.help or "") or action.default in (None, False, [], argparse.SUPPRESS):
            return action.help
        return super()._get_help_string(action)


def parser(description: str, stage: str | None = None) -> argparse.ArgumentParser:
    """A command's parser with --params; for a stage, its path flags too, from
    the declaration in `pipeline.stages` (defaults: the project's layout)."""
    p = argparse.ArgumentParser(description=description, formatter_class=_DefaultsHelp)
    p.add_argument("--params", type=Path, default=Path("params.yaml"), help="parameters file")
    if stage is not None:
        from .stages import FLAG_HELP, stage as declared
        for flag, default in declared(stage).flags.items():
            p.add_argument(flag, type=Path, default=default, help=FLAG_HELP[flag])
        if stage in ("ingest", "tag"):
            p.add_argument("--scheduler", default=argparse.SUPPRESS, metavar="ADDRESS",
                           help=f"a running Dask scheduler (tcp://host:8786) to spread the work over its workers "
                                f"(default: {stage}.scheduler in params; empty = this machine)")
    return p


def workers(args: argparse.Namespace, section) -> Workers:
    """The workers a stage's params section (n_process, scheduler) and its
    --scheduler flag ask for."""
    scheduler = getattr(args, "scheduler", section.scheduler)
    return Workers(n_process=section.n_process, scheduler=scheduler)


def params(args: argparse.Namespace) -> Params:
    """The checked params file named by --params."""
    return load_params(args.params)


def progress(items: Iterable, *, desc: str, unit: str, total: int | None = None) -> Iterable:
    """A progress bar on stderr when it is a terminal; silent in logs and CI."""
    return tqdm(items, desc=desc, unit=unit, total=total, disable=None, leave=False)


def progress_bar(*, desc: str, unit: str, total: int | None = None):
    """The same bar, advanced by hand (``bar.update(n)``; close it when done)."""
    return tqdm(desc=desc, unit=unit, total=total, disable=None, leave=False)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> None:
    """Run a stage's main(); a PipelineError is printed as one line, exit 2."""
    try:
        code = main(argv)
    except PipelineError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        print(f"error: {err.filename or 'an output'}: no space left on the disk: free some and run again "
              "(the previous outputs are unchanged)", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("interrupted: no outputs were changed", file=sys.stderr)
        sys.exit(130)
    sys.exit(code or 0)
