"""The spaCy pipeline: blank English, rule-based sentences and our own
components, registered the spaCy way and configured by file paths. (Lookup
lemmas from spacy-lookups-data are used where theme patterns are compiled,
see ``lemmas.py``, not token by token.)

Components (in order):

- ``sentencizer`` (spaCy's) then ``paragraph_sentences``: sentences never
  cross a paragraph break (a newline), so headings stay their own sentences;
- ``bali_entities``: states and organisations from the gazetteer (PhraseMatcher),
  acronyms defined in the text, people with titles, cities, dates.
  Results are ``doc.ents`` with ``kb_id_`` the canonical id; details per
  entity (kind, in_gazetteer, source rule, role, affiliation) are in
  ``doc.user_data["entity_info"]["{start_char}:{end_char}"]``.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import spacy
from spacy.language import Language
import numpy as np
from spacy.attrs import IDX, IS_SPACE, NORM, SENT_START
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .errors import PipelineError
from .gazetteer import load_actors, load_cities, slug
from .lemmas import lemma_norm
from .metadata import find_dates

TITLES = ["Mr", "Ms", "Mrs", "Miss", "Dr", "Prof", "Professor", "H.E.", "HE", "Hon", "Ambassador", "Minister",
          "Senator", "Judge", "Justice", "Sir", "Dame", "Dato", "Datuk", "Commissioner", "Secretary"]
_ACRONYM_DEF = re.compile(r"\((?P<acr>[A-Z][A-Za-z0-9&]*(?:-[A-Za-z0-9&]+)*)\)")
_NEWLINE = re.compile(r"\n+")
_CONNECTORS = {"of", "for", "on", "and", "the", "against", "in", "to", "&", "-", "de"}


@Language.component("paragraph_sentences")
def paragraph_sentences(doc: Doc) -> Doc:
    """A token after a line break starts a sentence; a run of spaces does not
    (the sentence starts after it: 'here.  Second'). Done on the doc's
    arrays: only the space tokens are visited one by one."""
    if len(doc) < 2:
        return doc
    arrays = doc.to_array([IDX, IS_SPACE, SENT_START])
    sent = arrays[:, 2].astype(np.int64)
    sent[sent > 1] = -1  # to_array stores -1 (not a start) as an unsigned number
    text = doc_text(doc)
    after_break = np.zeros(len(doc), dtype=bool)
    if "\n" in text:
        breaks = np.fromiter((m.start() for m in _NEWLINE.finditer(text)), dtype=np.int64)
        following = np.searchsorted(arrays[:, 0].astype(np.int64), breaks, side="right")
        following = following[following < len(doc)]
        after_break[following] = True
        sent[following] = 1
    for i in (np.flatnonzero(arrays[1:, 1]) + 1).tolist():
        if after_break[i]:
            continue
        if sent[i] == 1 and i + 1 < len(doc):
            sent[i + 1] = 1
        sent[i] = -1
    sent[0] = 1
    doc.from_array([SENT_START], sent.astype(np.uint64))
    return doc


def doc_text(doc: Doc) -> str:
    """The doc's text, kept by :class:`TextKeepingTokenizer` (``Doc.text``
    rebuilds the string from every token on each access)."""
    text = doc.user_data.get("text")
    return text if isinstance(text, str) else doc.text


class TextKeepingTokenizer:
    """The language's tokenizer, keeping the input string in ``doc.user_data``."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        doc = self.tokenizer(text)
        doc.user_data["text"] = text
        return doc

    def __getattr__(self, name):  # rules, pipe, explain, ... of the wrapped tokenizer
        if name == "tokenizer":  # not set yet (while unpickling)
            raise AttributeError(name)
        return getattr(self.tokenizer, name)


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
        self.titles = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.titles.add("TITLE", [nlp.make_doc(t) for t in TITLES])

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
        text = doc_text(doc)
        for span, kb_id, details in self._acronyms(doc, text, spans):
            add(span, "ORG", kb_id, **details)
        for start, end in self._people(doc):
            span = doc[start:end]
            name = " ".join(t.text for t in span if t.text not in TITLES and t.text != ".")
            add(span, "PERSON", f"person:{slug(name)}", kind="person", in_gazetteer=False, source="title rule",
                **person_details(span))
        for date in find_dates(text):
            span = doc.char_span(date.pos, date.pos + len(date.text), alignment_mode="expand")
            add(span, "DATE", date.start if date.start == date.end else f"{date.start}/{date.end}",
                kind="date", in_gazetteer=False, source="date rule")
        doc.ents = filter_spans(spans)
        kept = {f"{e.start_char}:{e.end_char}" for e in doc.ents}
        doc.user_data["entity_info"] = {k: v for k, v in info.items() if k in kept}
        return doc

    def _people(self, doc: Doc) -> list[tuple[int, int]]:
        """A title ('Ms', 'H.E.', 'Ambassador'), an optional full stop, then
        capitalised words within the sentence; where two overlap the longer wins.
        (Found from the few title tokens, not by testing every token.)"""
        found = []
        for _, i, j in self.titles(doc):
            if j < len(doc) and doc[j].text == ".":
                j += 1
            k = j
            while k < len(doc) and doc[k].is_title and not doc[k].is_sent_start:
                k += 1
            if k > j:
                found.append((i, k))
        kept: list[tuple[int, int]] = []
        for start, end in sorted(found, key=lambda r: (r[0] - r[1], r[0])):
            if all(end <= s or e <= start for s, e in kept):
                kept.append((start, end))
        return sorted(kept)

    def _acronyms(self, doc: Doc, text: str, found: list[Span]) -> Iterable[tuple[Span, str, dict]]:
        """'International Justice Mission (IJM)': the acronym, and its later
        uses, take the id of the name before it -- from the gazetteer where
        the name is there, else a derived ``unlisted:<slug>`` id."""
        ends = {s.end_char: s for s in found if s.label_ in ("ORG", "STATE")}
        defined: dict[str, tuple[str, dict]] = {}
        for m in _ACRONYM_DEF.finditer(text):
            acr = m.group("acr")
            if sum(c.isupper() for c in acr) < 2 or acr in defined:
                continue
            before = m.start()
            while before > 0 and text[before - 1].isspace():
                before -= 1
            long_span = ends.get(before)
            if long_span is not None:
                defined[acr] = (long_span.kb_id_, {"kind": self.actors[long_span.kb_id_].kind if long_span.kb_id_
                                                   in self.actors else "", "in_gazetteer": True,
                                                   "source": "acronym of gazetteer name"})
            elif acr in self.alias_to_id:
                continue
            else:
                long_form = _long_form(doc, before, acr)
                if long_form is None:
                    continue
                details = {"kind": "", "in_gazetteer": False, "source": "acronym definition"}
                defined[acr] = (f"unlisted:{slug(long_form.text)}", details)
                yield long_form, defined[acr][0], details
        for acr, (kb_id, details) in defined.items():
            for m in re.finditer(r"(?<![\w-])" + re.escape(acr) + r"(?![\w-])", text):
                yield doc.char_span(m.start(), m.end(), alignment_mode="expand"), kb_id, details


def _long_form(doc: Doc, end_char: int, acronym: str) -> Span | None:
    """The capitalised words before an acronym whose initials spell it."""
    span = doc.char_span(0, end_char, alignment_mode="contract")
    if span is None or not len(span):
        return None
    span = doc[max(0, span.end - 13):span.end]  # the long form is at most 12 words: look no further back
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
    sentence = sentence_of(span)
    rest = span.doc[span.end:sentence.end].text
    parts = [p.strip() for p in rest.split(",")]
    segments = []
    if parts and parts[0] == "":
        for part in parts[1:]:
            if not part or _ROLE_STOP.match(part) or re.search(r"\b(?:Mr|Ms|Mrs|Dr)\b", part):
                break
            segments.append(part.rstrip(".)"))
    role = segments[0] if segments else ""
    affiliation = ", ".join(segments[1:])
    return {"title": title, "role": role, "affiliation": affiliation,
            "co_chair": bool(re.search(r"\bco-?chairs?\b", sentence.text, re.I))}


def sentence_of(span: Span) -> Span:
    """The sentence around a span, found by walking to the nearest sentence
    starts (``Span.sent`` first checks the whole document's annotation, which
    costs a pass over every token each time)."""
    doc = span.doc
    start = span.start
    while start > 0 and not doc[start].is_sent_start:
        start -= 1
    end = span.end
    while end < len(doc) and not doc[end].is_sent_start:
        end += 1
    return doc[start:end]


@Language.factory("bali_entities", default_config={"gazetteer": "corpus/gazetteer/actors.yaml",
                                                   "cities": "corpus/gazetteer/cities.csv"})
def make_bali_entities(nlp: Language, name: str, gazetteer: str, cities: str) -> BaliEntities:
    return BaliEntities(nlp, name, gazetteer, cities)


def use_lemma_norms(nlp: Language) -> None:
    """Make every word's NORM its lookup lemma, so the theme matchers compare
    lemmas: one PhraseMatcher pattern per phrase instead of one per
    combination of word forms, which took building the pipeline from 0.76 s
    to 0.20 s (the same matches: a token matches a pattern word exactly when
    their lemmas are equal). The tokenizer's exceptions lose their own norms
    ("ca" of "can't" is not "can" on lower case either). Not done beside a
    trained pipeline, whose models read NORM as a feature."""
    nlp.vocab.lex_attr_getters[NORM] = lemma_norm
    for lexeme in nlp.vocab:  # those made before the getter was set
        lexeme.norm_ = lemma_norm(lexeme.orth_)
    nlp.tokenizer.rules = {key: [{attr: value for attr, value in token.items() if attr not in (NORM, "NORM")}
                                 for token in tokens] for key, tokens in nlp.tokenizer.rules.items()}


def norms_are_lemmas(nlp: Language) -> bool:
    return nlp.vocab.lex_attr_getters.get(NORM) is lemma_norm


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused (then restored) while a
    pipeline is built. Compiling the codebook makes some 100,000 pattern
    variants and many spaCy objects, which all live on; the collector's full
    passes walked them again and again to free nothing. The tag stage's
    pipeline, with the check of the codebook's examples, built in
    1.75-1.98 s with it running and 1.66-1.75 s with it paused (six runs
    each, interleaved; 3.09-3.44 s against 2.71-3.00 s when the patterns
    were still made as Docs). Nothing built here is cyclic garbage that
    must be freed before the build ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@collector_paused()
def build_nlp(*, gazetteer: Path, cities: Path, codebook: Path | None = None, trained: str | None = None,
              lemma_norms: bool | None = None) -> Language:
    """Blank English with our components (themes when ``codebook`` is given); ``trained`` names an installed
    spaCy pipeline (e.g. en_core_web_sm) whose statistical NER adds
    entities the rules do not know (off by default). ``lemma_norms``
    (default: without a trained pipeline) see :func:`use_lemma_norms`."""
    nlp = spacy.blank("en")
    # spaCy's English exceptions read "wed" as the contraction "we'd" ("girls are wed to older men", "Wed 3 December"):
    # in these statements it is always the word
    nlp.tokenizer.rules = {k: v for k, v in nlp.tokenizer.rules.items() if k not in ("wed", "Wed")}
    if not trained if lemma_norms is None else lemma_norms:
        use_lemma_norms(nlp)
    # spaCy's 1,000,000-character limit guards the memory of a parser or NER; the rules need none, so a long
    # statement is tagged whole (a trained pipeline keeps its own limit)
    nlp.max_length = 10**9 if not trained else nlp.max_length
    nlp.tokenizer = TextKeepingTokenizer(nlp.tokenizer)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("paragraph_sentences")
    if trained:
        source = spacy.load(trained, exclude=["parser", "lemmatizer", "attribute_ruler", "senter"])
        nlp.add_pipe("tok2vec", source=source) if "tok2vec" in source.pipe_names else None
        nlp.add_pipe("ner", source=source, name="trained_ner")
    nlp.add_pipe("bali_entities", config={"gazetteer": str(gazetteer), "cities": str(cities)})
    if codebook is not None:
        from . import themes as _register_themes  # noqa: F401  (registers the bali_themes factory)
        nlp.add_pipe("bali_themes", config={"codebook": str(codebook)})
    nlp.initialize()
    if codebook is not None:
        nlp.get_pipe("bali_themes").compile()
    return nlp


@collector_paused()
def tagging_pipeline(*, gazetteer: Path, cities: Path, codebook: Path, trained: str = "") -> Language:
    """The tag stage's pipeline, after checking the codebook's examples
    against its own rules (a failing example stops the run: the codebook and
    its examples disagree, and the researcher must decide which is right)."""
    from .themes import check_examples
    nlp = build_nlp(gazetteer=gazetteer, cities=cities, codebook=codebook, trained=trained or None)
    failures = check_examples(nlp, nlp.get_pipe("bali_themes").codebook)
    if failures:
        raise PipelineError(f"{codebook}: the codebook's examples fail its own rules:\n  " + "\n  ".join(failures))
    return nlp
