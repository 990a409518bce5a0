"""The theme codebook (corpus/codebook.yaml): its schema and loader.

A theme has one or more rules. A rule fires in a sentence when one of its
``patterns`` matches, the match does not overlap one of its ``exclude``
patterns ("drug trafficking" vetoes "trafficking" there, not elsewhere in
the sentence), the sentence contains one of its ``requires`` cues (when
given) and none of its ``unless`` cues. Each surviving match is a mention,
its span the evidence. The spaCy component that matches the rules is
:mod:`pipeline.core.themes`.

Phrase syntax (matched on lower-case word forms of the lemmas, so
"centres"/"centre" and "trafficked"/"trafficking" need one phrase): words
separated by spaces; ``{a|b|c}`` one token out of several; ``*`` any one
token; hyphens are optional ("people smuggling" matches "people-smuggling").
A pattern may instead be a spaCy token pattern (a list of token dicts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .io import load_yaml
from .errors import PipelineError

THEME_KEYS = {"id", "label", "definition", "parent", "rules", "examples"}
RULE_KEYS = {"id", "patterns", "exclude", "requires", "unless"}
EXAMPLE_KEYS = {"positive", "negative"}
PATTERN_FIELDS = ("patterns", "exclude", "requires", "unless")


@dataclass(frozen=True)
class Rule:
    id: str
    patterns: tuple
    exclude: tuple = ()
    requires: tuple = ()
    unless: tuple = ()


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    definition: str
    parent: str
    rules: tuple[Rule, ...]
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()


@dataclass
class Codebook:
    path: Path
    themes: list[Theme] = field(default_factory=list)

    def ids(self) -> list[str]:
        return [t.id for t in self.themes]


def codebook_error(path: Path, where: str, message: str) -> PipelineError:
    return PipelineError(f"{path}: {where}: {message}")


# a group that repeats something repeated, e.g. (a+)+ or (\w*)*: such regexes can take exponential time
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)")


def _regexes(token: dict):
    """Every REGEX value in a token pattern (also under LOWER, TEXT, ...)."""
    for key, value in token.items():
        if key == "REGEX" and isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from _regexes(value)


def _check_token_pattern(path: Path, where: str, item: list) -> None:
    if all(not {k for k in tok if k != "OP"} for tok in item):
        raise codebook_error(path, where, f"pattern {item!r} matches any word: give at least one test such as "
                                          "LOWER or LEMMA")
    for tok in item:
        for regex in _regexes(tok):
            if _NESTED_QUANTIFIER.search(regex):
                raise codebook_error(path, where, f"REGEX {regex!r} repeats a repeated group, which can take for "
                                                  "ever on some words: rewrite it without nested repetition")
            try:
                re.compile(regex)
            except re.error as err:
                raise codebook_error(path, where, f"REGEX {regex!r} is not a valid regular expression ({err})") \
                    from None


def _pattern_list(path: Path, where: str, value) -> tuple:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise codebook_error(path, where, "must be a list of phrases or token patterns (write each on a line "
                                          "starting with '- ')")
    for item in value:
        if isinstance(item, str):
            if not item.strip() or re.search(r"[{}]", re.sub(r"\{[^{}|]+(\|[^{}|]+)*\}", "", item)):
                raise codebook_error(path, where, f"invalid phrase {item!r} (alternatives are written {{a|b}})")
            if not re.sub(r"[\s*\-]", "", item):
                raise codebook_error(path, where, f"phrase {item!r} matches any word: give at least one word")
        elif not (isinstance(item, list) and item and all(isinstance(tok, dict) for tok in item)):
            raise codebook_error(path, where, f"invalid pattern {item!r}: give a phrase or a list of token dicts")
        else:
            _check_token_pattern(path, where, item)
    return tuple(item if isinstance(item, str) else tuple(item) for item in value)


def load_lexicons(path: Path, raw) -> dict[str, list]:
    """Named word lists (``lexicons:`` at the top of the codebook), each a
    list of phrases or token patterns that rules include as ``@name``: a
    concept extended in one place reaches every rule that uses it."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PipelineError(f"{path}: 'lexicons' must map names to lists of phrases")
    out = {}
    for name, items in raw.items():
        where = f"lexicon {name}"
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise codebook_error(path, where, "needs a name of lower-case letters, digits and underscores")
        if any(isinstance(i, str) and i.startswith("@") for i in items or []):
            raise codebook_error(path, where, "a lexicon lists phrases, not other lexicons")
        _pattern_list(path, where, items)
        if not items:
            raise codebook_error(path, where, "needs at least one phrase")
        out[name] = list(items)
    return out


def expand_lexicons(path: Path, where: str, value, lexicons: dict[str, list]):
    """A pattern list with each '@name' replaced by that lexicon's phrases."""
    if not isinstance(value, list):
        return value
    out = []
    for item in value:
        if isinstance(item, str) and item.startswith("@"):
            if item[1:] not in lexicons:
                raise codebook_error(path, where, f"unknown lexicon {item!r}: define it under 'lexicons:' "
                                                  f"(known: {', '.join(sorted(lexicons)) or 'none'})")
            out += lexicons[item[1:]]
        else:
            out.append(item)
    return out


def load_codebook(path: Path) -> Codebook:
    """Read and validate the codebook's structure (patterns are checked when
    compiled, examples when run: see :func:`check_examples`)."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise PipelineError(f"{path}: cannot read the codebook: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
        raise PipelineError(f"{path}: the codebook needs a top-level 'themes:' list")
    unknown_top = set(data) - {"themes", "version", "lexicons"}
    if unknown_top:
        raise PipelineError(f"{path}: unknown top-level key {sorted(unknown_top)[0]!r}")
    lexicons = load_lexicons(path, data.get("lexicons"))
    book = Codebook(path)
    seen: set[str] = set()
    for n, raw in enumerate(data["themes"], start=1):
        tid = raw.get("id") if isinstance(raw, dict) else None
        where = f"theme {tid or '#' + str(n)}"
        if not isinstance(raw, dict) or not isinstance(tid, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", tid):
            raise codebook_error(path, where, "needs an 'id' of lower-case letters, digits and underscores")
        if tid in seen:
            raise codebook_error(path, where, "duplicate id")
        seen.add(tid)
        unknown = set(raw) - THEME_KEYS
        if unknown:
            raise codebook_error(path, f"{where}, field {sorted(unknown)[0]!r}", f"unknown key; use {sorted(THEME_KEYS)}")
        if not isinstance(raw.get("label"), str):
            raise codebook_error(path, f"{where}, field 'label'", "required")
        rules = []
        if not isinstance(raw.get("rules"), list) or not raw["rules"]:
            raise codebook_error(path, f"{where}, field 'rules'", "needs at least one rule")
        for r, rule in enumerate(raw["rules"], start=1):
            rid = rule.get("id", f"r{r}") if isinstance(rule, dict) else f"r{r}"
            rwhere = f"{where}, rule {rid}"
            if not isinstance(rule, dict):
                raise codebook_error(path, rwhere, "must be a mapping")
            unknown = set(rule) - RULE_KEYS
            if unknown:
                raise codebook_error(path, f"{rwhere}, field {sorted(unknown)[0]!r}", f"unknown key; use {sorted(RULE_KEYS)}")
            fields = {f: _pattern_list(path, f"{rwhere}, field '{f}'",
                                       expand_lexicons(path, f"{rwhere}, field '{f}'", rule.get(f), lexicons))
                      for f in PATTERN_FIELDS}
            if not fields["patterns"]:
                raise codebook_error(path, f"{rwhere}, field 'patterns'", "needs at least one pattern")
            rules.append(Rule(f"{tid}.{rid}", **fields))
        examples = raw.get("examples") or {}
        if not isinstance(examples, dict) or set(examples) - EXAMPLE_KEYS:
            raise codebook_error(path, f"{where}, field 'examples'", "must have only 'positive' and 'negative' lists")
        for kind in EXAMPLE_KEYS:
            listed = examples.get(kind) or []
            if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
                raise codebook_error(path, f"{where}, field 'examples.{kind}'", "must be a list of sentences (write "
                                                                              "each on a line starting with '- ')")
        book.themes.append(Theme(tid, raw["label"], str(raw.get("definition", "")).strip(), raw.get("parent") or "",
                                 tuple(rules), tuple(examples.get("positive") or ()),
                                 tuple(examples.get("negative") or ())))
    for theme in book.themes:
        if theme.parent and theme.parent not in seen:
            raise codebook_error(path, f"theme {theme.id}, field 'parent'", f"unknown theme {theme.parent!r}")
    return book
