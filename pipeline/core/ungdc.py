"""The UN General Debate Corpus (UNGDC) in the project's corpus format.

UNGDC files are named ``ISO3_SESSION_YEAR.txt`` (``PHL_78_2023.txt``; ``EU_``
for the European Union). Each session of the General Debate becomes one
meeting (series "UN General Debate", ordinal = session, date = year, New
York); each speech a statement whose speaker is the state's canonical id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

SERIES = "UN General Debate"
FILE_NAME = re.compile(r"(?P<iso>[A-Z]{2,3})_(?P<session>\d{1,3})_(?P<year>\d{4})\.txt")
MANIFEST_HEADER = ("file", "title", "series", "ordinal", "start_date", "end_date", "city", "country", "speaker")


def manifest_row(file_name: str, names: Mapping[str, str]) -> dict[str, str] | None:
    """The manifest row for one UNGDC file, or None when the name does not
    follow ``ISO3_SESSION_YEAR.txt``."""
    m = FILE_NAME.fullmatch(file_name)
    if not m:
        return None
    iso, session, year = m["iso"], int(m["session"]), m["year"]
    speaker = "eu" if iso == "EU" else iso
    name = names.get(speaker, iso)
    return {"file": file_name, "title": f"{name} at the UN General Debate, session {session} ({year})",
            "series": SERIES, "ordinal": str(session), "start_date": year, "end_date": year,
            "city": "New York", "country": "United States", "speaker": speaker}
