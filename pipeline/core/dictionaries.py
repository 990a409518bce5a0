"""Dictionary exchange: the codebook's word lists as a quanteda dictionary
(YAML) or a LIWC-style `.dic`, and such dictionaries read back as codebook
themes, so a published dictionary runs through the same trends and
evaluation as the codebook.

What does not translate is said, not dropped silently: context rules
(`requires`, `exclude`, `unless`), spaCy token patterns, and `*` standing for
a whole word between two words. Phrases are exported as written (lemmas,
`{a|b}` alternatives spelt out); quanteda and LIWC match word forms, so a
dictionary user may want `word*` globs where the codebook relies on lemmas.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import product
from pathlib import Path

import yaml

from .io import load_yaml
from .codebook import Codebook
from .errors import PipelineError

_GLOB = re.compile(r"^[\w'’\-]+\*?$|^\*[\w'’\-]+$")


def _spelt_out(phrase: str) -> list[str] | None:
    """'{a|b} c' -> ['a c', 'b c']; None where a word is a lone '*'."""
    parts = []
    for word in re.findall(r"\{[^{}]*\}|[^\s{}]+", phrase):
        if word == "*":
            return None
        m = re.fullmatch(r"\{([^{}]+)\}", word)
        parts.append([w.strip() for w in m.group(1).split("|")] if m else [word])
    return [" ".join(choice) for choice in product(*parts)]


def codebook_entries(book: Codebook) -> tuple[dict[str, list[str]], list[str]]:
    """Per theme, its phrases spelt out; and a note of everything left out."""
    entries: dict[str, list[str]] = {}
    notes: list[str] = []
    for theme in book.themes:
        words: list[str] = []
        for rule in theme.rules:
            if rule.requires or rule.exclude or rule.unless:
                notes.append(f"{rule.id}: its context rules (requires/exclude/unless) do not translate; its "
                             "patterns are exported without them")
            for pattern in rule.patterns:
                if not isinstance(pattern, str):
                    notes.append(f"{rule.id}: token pattern {list(pattern)!r} left out")
                    continue
                spelt = _spelt_out(pattern)
                if spelt is None:
                    notes.append(f"{rule.id}: {pattern!r} left out ('*' for a whole word does not translate)")
                    continue
                words += [w for w in spelt if w not in words]
        entries[theme.id] = words
    return entries, notes


def quanteda_yaml(book: Codebook) -> tuple[str, list[str]]:
    """A quanteda dictionary (`dictionary(file = ...)` reads it); sub-themes nested under their parent."""
    entries, notes = codebook_entries(book)
    children = {t.id: [c.id for c in book.themes if c.parent == t.id] for t in book.themes}

    def node(theme_id: str):
        kids = children[theme_id]
        if not kids:
            return entries[theme_id]
        return {theme_id: entries[theme_id], **{k: node(k) for k in kids}}
    tree = {t.id: node(t.id) for t in book.themes if not t.parent}
    head = "# Exported from the project's theme codebook. Not translated:\n" + "".join(f"#   {n}\n" for n in notes)
    return head + yaml.safe_dump(tree, sort_keys=False, allow_unicode=True, width=120), notes


def liwc_dic(book: Codebook) -> tuple[str, list[str]]:
    """A LIWC-style .dic: category numbers and names between '%' lines, then one entry per line."""
    entries, notes = codebook_entries(book)
    ids = [t.id for t in book.themes]
    lines = ["%"] + [f"{n}\t{theme}" for n, theme in enumerate(ids, start=1)] + ["%"]
    by_word: dict[str, list[int]] = {}
    for n, theme in enumerate(ids, start=1):
        for word in entries[theme]:
            by_word.setdefault(word, []).append(n)
    lines += [f"{word}\t" + "\t".join(str(n) for n in cats) for word, cats in sorted(by_word.items())]
    return "\n".join(lines) + "\n", notes


# -- reading dictionaries ---------------------------------------------------------------------------------------

def _pattern_of(entry: str, where: str) -> object:
    """A dictionary entry as a codebook pattern: a word or phrase as written,
    a glob ('traffick*') as a token pattern on the word's start."""
    entry = entry.strip()
    if not entry or not re.sub(r"[\s*]", "", entry):
        raise PipelineError(f"{where}: {entry!r} matches every word: give at least one letter")
    words = entry.split()
    if len(words) == 1 and "*" in entry:
        if not _GLOB.match(entry):
            raise PipelineError(f"{where}: {entry!r} is not a glob this project reads (use word* or *word)")
        stem = re.escape(entry.strip("*").lower())
        regex = f"^{stem}" if entry.endswith("*") else f"{stem}$"
        return [{"LOWER": {"REGEX": regex}}]
    if any("*" in w or re.search(r"[{}|\[\]]", w) for w in words):
        raise PipelineError(f"{where}: {entry!r}: phrases may hold words only (globs only in one-word entries)")
    return entry.lower()


def _theme(theme_id: str, label: str, entries: list[str], parent: str, where: str) -> dict:
    patterns = [_pattern_of(e, f"{where}, {theme_id}") for e in entries]
    if not patterns:
        raise PipelineError(f"{where}, {theme_id}: no entries")
    return {"id": theme_id, "label": label, "definition": f"imported from {where}", **({"parent": parent} if parent
                                                                                        else {}),
            "rules": [{"id": "dictionary", "patterns": patterns}]}


def _theme_id(key: str, where: str) -> str:
    tid = re.sub(r"[^a-z0-9_]+", "_", key.strip().lower()).strip("_")
    if not tid or not tid[0].isalpha():
        raise PipelineError(f"{where}: category {key!r} cannot be a theme id: start it with a letter")
    return tid


def read_quanteda(path: Path) -> dict:
    """A quanteda YAML dictionary as a codebook mapping (nested keys become sub-themes)."""
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise PipelineError(f"{path}: not a readable YAML dictionary: {str(err).splitlines()[0]}") from None
    if not isinstance(data, Mapping):
        raise PipelineError(f"{path}: a quanteda dictionary maps category names to lists of entries")
    themes: list[dict] = []

    def walk(node: Mapping, parent: str) -> list[str]:
        """Add the themes of ``node``; return all entries under it (a parent
        category counts what its sub-categories count, as in quanteda)."""
        everything: list[str] = []
        for key, value in node.items():
            tid = _theme_id(str(key), str(path))
            if isinstance(value, list) and tid == parent:  # the parent's own entries, as quanteda_yaml writes them
                everything += [str(v) for v in value]
                continue
            if isinstance(value, list):
                own = [str(v) for v in value]
            elif isinstance(value, Mapping):
                at = len(themes)
                themes.append({})  # keep the parent before its sub-themes
                below = walk(value, tid)
                # a parent with entries of its own keeps them (its sub-themes tag it too); one without counts
                # every entry under it, as quanteda does
                own = next(([str(v) for v in v2] for k2, v2 in value.items()
                            if isinstance(v2, list) and _theme_id(str(k2), str(path)) == tid), below)
                themes[at] = _theme(tid, str(key), own, parent, str(path))
                everything += below
                continue
            else:
                raise PipelineError(f"{path}: {key!r} must hold a list of entries or sub-categories")
            themes.append(_theme(tid, str(key), own, parent, str(path)))
            everything += own
        return everything
    walk(data, "")
    return {"themes": themes}


def read_liwc(path: Path) -> dict:
    """A LIWC-style .dic as a codebook mapping."""
    text = path.read_text(encoding="utf-8", errors="strict")
    parts = text.split("%")
    if len(parts) < 3:
        raise PipelineError(f"{path}: a .dic starts with category lines between two '%' lines")
    categories = {}
    for line in parts[1].strip().splitlines():
        number, _, name = line.strip().partition("\t") if "\t" in line else line.strip().partition(" ")
        if not number.strip().isdigit() or not name.strip():
            raise PipelineError(f"{path}: category line {line!r}: write NUMBER<tab>NAME")
        categories[number.strip()] = name.strip()
    entries: dict[str, list[str]] = {n: [] for n in categories}
    for n, line in enumerate("%".join(parts[2:]).strip().splitlines(), start=1):
        fields = line.split("\t") if "\t" in line else line.split()
        if not line.strip():
            continue
        word, cats = fields[0], [c.strip() for c in fields[1:] if c.strip()]
        unknown = [c for c in cats if c not in categories]
        if not cats or unknown:
            raise PipelineError(f"{path}: entry {word!r}: category {unknown[0] if unknown else '(none)'} is not "
                                "defined at the top")
        for c in cats:
            entries[c].append(word)
    return {"themes": [_theme(_theme_id(name, str(path)), name, entries[num], "", str(path))
                       for num, name in categories.items()]}
