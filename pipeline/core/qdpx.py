"""REFI-QDA export: the tagged corpus as a `.qdpx` project that NVivo,
ATLAS.ti, MAXQDA and QualCoder open.

A `.qdpx` is a ZIP of `project.qde` (QDA-XML 1.0) and `sources/`: each
statement's cleaned text is a `TextSource`; the codebook's themes are `Codes`
(sub-themes nested under their parent); each theme mention is a
`PlainTextSelection` (character offsets into its source) holding a `Coding`
of its theme, the rule that matched in its description; each statement is a
`Case` with its meeting, date, series, speaker and party as variables.
GUIDs are derived from the ids (UUID 5) and the ZIP entries carry fixed
dates, so the same corpus exports the same bytes.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd

from .errors import PipelineError

NS = "urn:QDA-XML:project:1.0"
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "Project-mrt2019.xsd"
_BASE = uuid.UUID("6f1c1e52-5b4a-4c2e-9a51-0b1a2c3d4e5f")
CASE_VARIABLES = ("meeting", "start_date", "series", "speaker", "party")


def guid(*parts: str) -> str:
    """A stable GUID for an object of the project (the same id, the same GUID)."""
    return str(uuid.uuid5(_BASE, ":".join(parts))).upper()


def _el(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrs.items() if v is not None})


def project_xml(*, name: str, themes: Sequence[tuple[str, str, str, str]], statements: pd.DataFrame,
                mentions: pd.DataFrame) -> bytes:
    """project.qde. ``themes``: (id, label, definition, parent); ``statements``:
    statement_id, path, text and the case variables; ``mentions``: theme
    mentions with statement_id, label, start and end in the statement's text,
    source (the rule)."""
    ET.register_namespace("", NS)
    user = guid("user", "bali-themes")
    root = ET.Element(f"{{{NS}}}Project", {"name": name, "origin": "bali-themes", "creatingUserGUID": user})
    users = _el(root, "Users")
    _el(users, "User", guid=user, name="bali-themes pipeline")
    codes = _el(_el(root, "CodeBook"), "Codes")
    elements: dict[str, ET.Element] = {}
    for theme_id, label, definition, parent in sorted(themes, key=lambda t: (bool(t[3]), t[0])):
        holder = elements.get(parent, codes) if parent else codes
        code = _el(holder, "Code", guid=guid("code", theme_id), name=label, isCodable="true")
        if definition:
            _el(code, "Description").text = f"{theme_id}: {definition}"
        elements[theme_id] = code
    variables = _el(root, "Variables")
    for var in CASE_VARIABLES:
        _el(variables, "Variable", guid=guid("variable", var), name=var, typeOfVariable="Text")
    cases = _el(root, "Cases")
    sources = _el(root, "Sources")
    by_statement = {sid: g for sid, g in mentions.groupby("statement_id", sort=True)}
    for s in statements.sort_values("statement_id").itertuples():
        source_guid = guid("source", s.statement_id)
        case = _el(cases, "Case", guid=guid("case", s.statement_id), name=str(s.path))
        for var in CASE_VARIABLES:
            value = getattr(s, var, "")
            if value is not None and not (isinstance(value, float) and pd.isna(value)) and str(value):
                vv = _el(case, "VariableValue")
                _el(vv, "VariableRef", targetGUID=guid("variable", var))
                _el(vv, "TextValue").text = str(value)
        _el(case, "SourceRef", targetGUID=source_guid)
        source = _el(sources, "TextSource", guid=source_guid, name=str(s.path),
                     plainTextPath=f"internal://{source_guid}.txt")
        rows = by_statement.get(s.statement_id)
        for m in ([] if rows is None else rows.sort_values(["start", "end", "label"]).itertuples()):
            key = f"{s.statement_id}:{m.start}:{m.end}:{m.label}"
            selection = _el(source, "PlainTextSelection", guid=guid("selection", key), name=str(m.label),
                            startPosition=str(int(m.start)), endPosition=str(int(m.end)))
            _el(selection, "Description").text = f"rule {m.source}"
            coding = _el(selection, "Coding", guid=guid("coding", key))
            _el(coding, "CodeRef", targetGUID=guid("code", str(m.label)))
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def qdpx_bytes(project: bytes, texts: Mapping[str, str]) -> bytes:
    """The ZIP: project.qde and sources/<guid>.txt, in a fixed order with fixed dates."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entries = [("project.qde", project)] + [(f"sources/{guid('source', sid)}.txt", text.encode("utf-8"))
                                                for sid, text in sorted(texts.items())]
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def validate(project: bytes) -> list[str]:
    """Every way ``project`` breaks the REFI-QDA schema (empty: valid)."""
    import xmlschema
    schema = xmlschema.XMLSchema(str(SCHEMA))
    return [str(e.reason or e) for e in schema.iter_errors(io.BytesIO(project))]


# -- reading a project back (codings a researcher corrected) ----------------------------------------------------

MAX_UNPACKED_BYTES = 500_000_000


def read_project(path: Path) -> tuple[bytes, dict[str, bytes]]:
    """project.qde and the sources of an untrusted .qdpx: member paths that
    leave the archive and archives that unpack to more than 500 MB (or 100
    times their size) are refused, one line each."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        raise PipelineError(f"{path}: not a readable .qdpx (ZIP) file: {err}") from None
    with archive:
        infos = archive.infolist()
        for info in infos:
            name = info.filename
            if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
                raise PipelineError(f"{path}: member {name!r} points outside the archive: refused")
        unpacked = sum(i.file_size for i in infos)
        if unpacked > MAX_UNPACKED_BYTES or unpacked > 100 * max(path.stat().st_size, 1):
            raise PipelineError(f"{path}: would unpack to {unpacked:,} bytes: refused (a ZIP bomb?)")
        names = {i.filename for i in infos}
        if "project.qde" not in names:
            raise PipelineError(f"{path}: no project.qde inside: is it a REFI-QDA project?")
        return archive.read("project.qde"), {n: archive.read(n) for n in names if n.startswith("sources/")}


def project_codings(path: Path) -> tuple[list[dict], list[dict]]:
    """(sources, codings) of a .qdpx: sources with guid, name and text;
    codings with source guid, start, end and the code's guid and name. The
    XML is parsed with defusedxml: no external entities, no entity bombs."""
    from defusedxml import ElementTree as SafeET
    from defusedxml.common import DefusedXmlException
    project, files = read_project(path)
    try:
        root = SafeET.fromstring(project)
    except (DefusedXmlException, ET.ParseError) as err:
        raise PipelineError(f"{path}: project.qde refused or unreadable ({type(err).__name__}: {err})") from None
    q = f"{{{NS}}}"
    code_names = {c.get("guid"): c.get("name") for c in root.iter(f"{q}Code")}
    sources, codings = [], []
    for source in root.iter(f"{q}TextSource"):
        text_path = (source.get("plainTextPath") or "").replace("internal://", "sources/")
        if text_path in files:
            text = files[text_path].decode("utf-8", "replace")
        else:
            content = source.find(f"{q}PlainTextContent")
            text = content.text if content is not None and content.text else ""
        sources.append({"guid": source.get("guid"), "name": source.get("name") or "", "text": text})
        for selection in source.iter(f"{q}PlainTextSelection"):
            for coding in selection.iter(f"{q}Coding"):
                ref = coding.find(f"{q}CodeRef")
                target = ref.get("targetGUID") if ref is not None else None
                codings.append({"source": source.get("guid"), "start": int(selection.get("startPosition")),
                                "end": int(selection.get("endPosition")), "code": target,
                                "code_name": code_names.get(target, "")})
    return sources, codings


def labels_from_codings(sources: list[dict], codings: list[dict], *, statements: pd.DataFrame,
                        sentences: pd.DataFrame, themes: Sequence[tuple[str, str]]) -> tuple[list[dict], list[str]]:
    """Labelled sentences from a coded project: a sentence carries a theme
    when a coding of that theme overlaps it; every sentence of a matched
    source is labelled (no coding: no theme). Problems are returned, not
    guessed: unknown codes, sources that match no statement or whose text
    changed."""
    by_guid = {guid("code", tid): tid for tid, _ in themes}
    by_name = {label.lower(): tid for tid, label in themes} | {tid: tid for tid, _ in themes}
    statement_of = {guid("source", sid): sid for sid in statements["statement_id"]}
    path_of = dict(zip(statements["path"], statements["statement_id"]))
    texts = dict(zip(statements["statement_id"], statements["text"]))
    problems: list[str] = []
    matched: dict[str, str] = {}
    for s in sources:
        sid = statement_of.get(s["guid"]) or path_of.get(s["name"])
        if sid is None:
            problems.append(f"source {s['name']!r} matches no statement of the corpus")
        elif s["text"] != texts[sid]:
            problems.append(f"source {s['name']!r}: its text differs from the corpus text of {sid}: the offsets "
                            "cannot be trusted")
        else:
            matched[s["guid"]] = sid
    themes_of: dict[str, set[str]] = {}
    for c in codings:
        theme = by_guid.get(c["code"]) or by_name.get((c["code_name"] or "").lower())
        if theme is None:
            problems.append(f"code {c['code_name'] or c['code']!r} is not a codebook theme")
            continue
        sid = matched.get(c["source"])
        if sid is None:
            continue
        inside = sentences[(sentences["statement_id"] == sid) & (sentences["start"] < c["end"])
                           & (sentences["end"] > c["start"])]
        for sentence_id in inside["sentence_id"]:
            themes_of.setdefault(sentence_id, set()).add(theme)
    rows = [{"id": r.sentence_id, "text": r.text, "themes": sorted(themes_of.get(r.sentence_id, set()))}
            for r in sentences[sentences["statement_id"].isin(set(matched.values()))].itertuples()]
    return rows, sorted(set(problems))
