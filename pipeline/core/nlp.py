"""The spaCy pipeline: blank English, rule-based sentences, lookup lemmas, and
our own components, registered the spaCy way and configured by file paths.

Components (in order):

- ``sentencizer`` (spaCy's) then ``paragraph_sentences``: sentences never
  cross a paragraph break (a newline), so headings stay their own sentences;
- ``lemmatizer`` in lookup mode (tables from spacy-lookups-data, no download);
- ``bali_entities``: states and organisations from the gazetteer (PhraseMatcher),
  acronyms defined in the text, people with titles, cities, dates.
  Results are ``doc.ents`` with ``kb_id_`` the canonical id; details per
  entity (kind, in_gazetteer, source rule, role, affiliation) are in
  ``doc.user_data["entity_info"]["{start_char}:{end_char}"]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .gazetteer import Actor, load_actors, load_cities, slug
from .metadata import find_dates

TITLES = ["Mr", "Ms", "Mrs", "Miss", "Dr", "Prof", "Professor", "H.E.", "HE", "Hon", "Ambassador", "Minister",
          "Senator", "Judge", "Justice", "Sir", "Dame", "Dato", "Datuk", "Commissioner", "Secretary"]
_ACRONYM_DEF = re.compile(r"\((?P<acr>[A-Z][A-Za-z0-9&]*(?:-[A-Za-z0-9&]+)*)\)")
_CONNECTORS = {"of", "for", "on", "and", "the", "against", "in", "to", "&", "-", "de"}


@Language.factory("lowercase_lemmas")
class LowercaseLemmas:
    """Lookup tables are case-sensitive ('Trafficked' stays 'Trafficked'):
    look up the lower-case form instead, and keep every lemma lower-case, so
    theme patterns match at the start of a sentence too."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.nlp = nlp
        self.table = None

    def __call__(self, doc: Doc) -> Doc:
        if self.table is None:
            self.table = self.nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
        for token in doc:
            lemma = token.lemma_
            if lemma == token.text and not token.is_lower:
                lemma = self.table.get(token.lower_, token.lower_)
            token.lemma_ = lemma.lower()
        return doc


@Language.component("paragraph_sentences")
def paragraph_sentences(doc: Doc) -> Doc:
    """A token after a line break starts a sentence."""
    for token in doc[1:]:
        if "\n" in doc[token.i - 1].text or "\n" in doc[token.i - 1].whitespace_:
            token.is_sent_start = True
        elif token.is_space:
            token.is_sent_start = False
    return doc


def _case_sensitive(name: str) -> bool:
    """One- or two-word names match case-sensitively (US is not us; Turkey is
    not turkey); longer names case-insensitively."""
    return len(name.split()) <= 2


class BaliEntities:
    """Gazetteer, acronym, person, city and date entities (see module doc)."""

    def __init__(self, nlp: Language, name: str, gazetteer: str, cities: str) -> None:
        self.name = name
        self.actors = {a.id: a for a in load_actors(Path(gazetteer))}
        self.cities = {c.id: c for c in load_cities(Path(cities))}
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.folded = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.alias_to_id: dict[str, str] = {}
        for actor in self.actors.values():
            for alias in actor.names:
                matcher = self.exact if _case_sensitive(alias) else self.folded
                matcher.add(actor.id, [nlp.make_doc(alias)])
                self.alias_to_id.setdefault(alias, actor.id)
        for city in self.cities.values():
            self.exact.add(city.id, [nlp.make_doc(city.name)])
        self.people = Matcher(nlp.vocab)
        self.people.add("PERSON", [[{"ORTH": {"IN": TITLES}}, {"ORTH": ".", "OP": "?"},
                                    {"IS_TITLE": True, "IS_SENT_START": False, "OP": "+"}]], greedy="LONGEST")

    def __call__(self, doc: Doc) -> Doc:
        info: dict[str, dict] = {}  # "start:end" keys survive Doc.to_bytes (multiprocessing)
        spans: list[Span] = []

        def add(span: Span | None, label: str, kb_id: str, **details) -> None:
            if span is not None and span.text.strip():
                spans.append(Span(doc, span.start, span.end, label=label, kb_id=kb_id))
                info.setdefault(f"{span.start_char}:{span.end_char}", details)

        for match_id, start, end in list(self.exact(doc)) + list(self.folded(doc)):
            key = doc.vocab.strings[match_id]
            if key in self.actors:
                actor = self.actors[key]
                add(doc[start:end], actor.label, actor.id, kind=actor.kind, in_gazetteer=True, source="gazetteer")
            else:
                add(doc[start:end], "PLACE", key, kind="city", in_gazetteer=True, source="cities")
        for span, kb_id, details in self._acronyms(doc, spans):
            add(span, "ORG", kb_id, **details)
        for _, start, end in self.people(doc):
            span = doc[start:end]
            name = " ".join(t.text for t in span if t.text not in TITLES and t.text != ".")
            add(span, "PERSON", f"person:{slug(name)}", kind="person", in_gazetteer=False, source="title rule",
                **person_details(span))
        for date in find_dates(doc.text):
            span = doc.char_span(date.pos, date.pos + len(date.text), alignment_mode="expand")
            add(span, "DATE", date.start if date.start == date.end else f"{date.start}/{date.end}",
                kind="date", in_gazetteer=False, source="date rule")
        doc.ents = filter_spans(spans)
        kept = {f"{e.start_char}:{e.end_char}" for e in doc.ents}
        doc.user_data["entity_info"] = {k: v for k, v in info.items() if k in kept}
        return doc

    def _acronyms(self, doc: Doc, found: list[Span]) -> Iterable[tuple[Span, str, dict]]:
        """'International Justice Mission (IJM)': the acronym, and its later
        uses, take the id of the name before it -- from the gazetteer where
        the name is there, else a derived ``unlisted:<slug>`` id."""
        ends = {s.end_char: s for s in found if s.label_ in ("ORG", "STATE")}
        defined: dict[str, tuple[str, dict]] = {}
        for m in _ACRONYM_DEF.finditer(doc.text):
            acr = m.group("acr")
            if sum(c.isupper() for c in acr) < 2 or acr in defined:
                continue
            before = doc.text[:m.start()].rstrip()
            long_span = ends.get(len(before))
            if long_span is not None:
                defined[acr] = (long_span.kb_id_, {"kind": self.actors[long_span.kb_id_].kind if long_span.kb_id_
                                                   in self.actors else "", "in_gazetteer": True,
                                                   "source": "acronym of gazetteer name"})
            elif acr in self.alias_to_id:
                continue
            else:
                long_form = _long_form(doc, len(before), acr)
                if long_form is None:
                    continue
                details = {"kind": "", "in_gazetteer": False, "source": "acronym definition"}
                defined[acr] = (f"unlisted:{slug(long_form.text)}", details)
                yield long_form, defined[acr][0], details
        for acr, (kb_id, details) in defined.items():
            for m in re.finditer(r"(?<![\w-])" + re.escape(acr) + r"(?![\w-])", doc.text):
                yield doc.char_span(m.start(), m.end(), alignment_mode="expand"), kb_id, details


def _long_form(doc: Doc, end_char: int, acronym: str) -> Span | None:
    """The capitalised words before an acronym whose initials spell it."""
    span = doc.char_span(0, end_char, alignment_mode="contract")
    if span is None or not len(span):
        return None
    tokens = list(span)
    start = len(tokens)
    while start > 0 and len(tokens) - start < 12 and (tokens[start - 1].is_title or tokens[start - 1].is_upper
                                                        or tokens[start - 1].lower_ in _CONNECTORS):
        start -= 1
    while start < len(tokens) and tokens[start].lower_ in _CONNECTORS:
        start += 1
    words = [t.text for t in tokens[start:] if t.lower_ not in _CONNECTORS or t.is_title]
    letters = [c for c in acronym.upper() if c.isalpha()]
    if not words or not letters or words[0][0].upper() != letters[0]:
        return None
    initials = "".join(w[0].upper() for w in words)
    it = iter(initials)
    if not all(c in it for c in letters):  # acronym letters appear, in order, among the initials
        return None
    return doc[span.start + start: span.end]


_ROLE_STOP = re.compile(r"^(?:and|who|which|also|as|with|to|for|the|[a-z])")


def person_details(span: Span) -> dict:
    """Title, role and affiliation from the words after a name:
    'Mr Caka Alverdi Awal, Director for ..., Ministry of Foreign Affairs ...,
    and Ms ...' gives role 'Director for ...' and affiliation 'Ministry ...'."""
    title = span[0].text.rstrip(".") + ("." if span[0].text == "H.E." else "")
    rest = span.doc.text[span.end_char: span.sent.end_char]
    parts = [p.strip() for p in rest.split(",")]
    segments = []
    if parts and parts[0] == "":
        for part in parts[1:]:
            if not part or _ROLE_STOP.match(part) or re.search(r"\b(?:Mr|Ms|Mrs|Dr)\b", part):
                break
            segments.append(part.rstrip(".)"))
    role = segments[0] if segments else ""
    affiliation = ", ".join(segments[1:])
    sentence = span.sent.text
    return {"title": title, "role": role, "affiliation": affiliation,
            "co_chair": bool(re.search(r"\bco-?chairs?\b", sentence, re.I))}


@Language.factory("bali_entities", default_config={"gazetteer": "corpus/gazetteer/actors.yaml",
                                                   "cities": "corpus/gazetteer/cities.csv"})
def make_bali_entities(nlp: Language, name: str, gazetteer: str, cities: str) -> BaliEntities:
    return BaliEntities(nlp, name, gazetteer, cities)


def build_nlp(*, gazetteer: Path, cities: Path, codebook: Path | None = None, trained: str | None = None) -> Language:
    """Blank English with our components (themes when ``codebook`` is given); ``trained`` names an installed
    spaCy pipeline (e.g. en_core_web_sm) whose statistical NER adds
    entities the rules do not know (off by default)."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("paragraph_sentences")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.add_pipe("lowercase_lemmas")
    if trained:
        source = spacy.load(trained, exclude=["parser", "lemmatizer", "attribute_ruler", "senter"])
        nlp.add_pipe("tok2vec", source=source) if "tok2vec" in source.pipe_names else None
        nlp.add_pipe("ner", source=source, name="trained_ner")
    nlp.add_pipe("bali_entities", config={"gazetteer": str(gazetteer), "cities": str(cities)})
    if codebook is not None:
        from . import codebook as _register_themes  # noqa: F401  (registers the bali_themes factory)
        nlp.add_pipe("bali_themes", config={"codebook": str(codebook)})
    nlp.initialize()
    if codebook is not None:
        nlp.get_pipe("bali_themes").compile()
    return nlp
