"""The ``bali_themes`` spaCy component: the codebook's rules compiled into
PhraseMatchers and Matchers, run on each sentence, each surviving match a
theme mention with its evidence span. Words inside an organisation's name
("Technical Experts Group on Returns and Reintegration") are not evidence of
a theme. The codebook's schema and loader are in :mod:`pipeline.core.codebook`.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from itertools import product
from pathlib import Path

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, SpanGroup

from .codebook import PATTERN_FIELDS, Codebook, Rule, Theme, codebook_error, load_codebook
from .lemmas import english
from .nlp import doc_text


def phrase_to_pattern(phrase: str, forms_of: Callable[[str], list[list[str]]], attr: str = "LOWER") -> list[dict]:
    """'trafficking {in|of} *' -> token pattern on lower-case word forms (or
    lemmas, with ``attr`` NORM), with optional hyphens between words (for
    phrases with too many variants for the PhraseMatcher)."""
    tokens: list[dict] = []
    for word in _words(phrase):
        if word == "*":
            parts = [{}]
        else:
            options = word[1:-1].split("|") if word.startswith("{") else [word]
            per_option = [forms_of(o) for o in options]
            if len(per_option) == 1:
                parts = [{attr: {"IN": f}} for f in per_option[0]]
            else:  # alternatives of one word each
                parts = [{attr: {"IN": sorted({w for f in per_option for w in (f[0] if f else [])})}}]
        if tokens:
            tokens.append({"ORTH": "-", "OP": "?"})
        tokens += parts
    return tokens


def phrase_to_patterns(phrase: str, forms_of: Callable[[str], list[list[str]]], attr: str = "LOWER") -> list[list[dict]]:
    """Token patterns for a phrase: one, or one per option of an alternative
    with options of several words ('take {a child|children} abroad'), which a
    single token pattern cannot hold (it would keep only their first words)."""
    choices = []
    for word in _words(phrase):
        options = word[1:-1].split("|") if word.startswith("{") else []
        multi = [o for o in options if len(o.split()) > 1]
        if not multi:
            choices.append([word])
            continue
        single = [o for o in options if len(o.split()) <= 1]
        choices.append(([f"{{{'|'.join(single)}}}"] if single else []) + multi)
    return [phrase_to_pattern(" ".join(parts), forms_of, attr) for parts in product(*choices)]


MAX_VARIANTS = 5000
MIXED_HYPHEN_GAPS = 2


def _words(phrase: str) -> list[str]:
    return re.findall(r"\{[^}]*\}|[^\s]+", phrase)


def phrase_variants(phrase: str, forms_of: Callable[[str], list[list[str]]]) -> list[list[str]] | None:
    """All lower-case word sequences a phrase without '*' stands for: every
    form of every lemma ('trafficking in persons' -> 'trafficked in person',
    ...), with and without hyphens between words; None when there are too
    many to enumerate. ``forms_of(word)`` gives, for each token of the word,
    the forms that share its lemma."""
    choices = []
    for word in _words(phrase):
        options = word[1:-1].split("|") if word.startswith("{") else [word]
        sequences: set[tuple[str, ...]] = set()
        for option in options:
            token_forms = forms_of(option)
            if _product_size(token_forms) > MAX_VARIANTS:
                return None
            sequences.update(product(*token_forms) if token_forms else ())
        choices.append(sorted(sequences))
    if _product_size(choices) > MAX_VARIANTS:
        return None
    variants: set[tuple[str, ...]] = set()
    for combo in product(*choices):
        flat = [w for part in combo for w in part]
        gaps = len(flat) - 1
        # a hyphen or not at each gap ('debt-based coercion') in phrases of up to three words; else all or none
        masks = range(2 ** gaps) if gaps <= MIXED_HYPHEN_GAPS else (0, 2 ** gaps - 1)
        for mask in masks:
            variants.add(tuple(flat[:1] + [x for k, w in enumerate(flat[1:]) for x in (("-", w) if mask >> k & 1
                                                                                       else (w,))]))
    return [list(v) for v in sorted(variants)]


def _product_size(choices: Sequence[Sequence]) -> int:
    n = 1
    for c in choices:
        n *= max(1, len(c))
    return n


def wildcard_parts(phrase: str) -> tuple[list[str], list[int]]:
    """'{a|b} * traffic' -> (['{a|b}', 'traffic'], [0, 1, 0]): the fixed
    segments and the number of '*' tokens before, between and after them."""
    segments, gaps, current, stars = [], [], [], 0
    for word in _words(phrase):
        if word == "*":
            if current:
                segments.append(" ".join(current))
                gaps.append(stars)
                current, stars = [], 0
            stars += 1
        else:
            current.append(word)
    if current:
        segments.append(" ".join(current))
        gaps.append(stars)
        stars = 0
    return segments, gaps + [stars]


def simple_token_pattern(pattern: Sequence[dict]) -> tuple[str, list[list[str]]] | None:
    """A token pattern that only lists exact values of one attribute
    ([{LOWER: {IN: [pogo, pogos]}}]) as (attribute, word sequences), so the
    PhraseMatcher can run it; None for anything richer."""
    attrs, choices = set(), []
    for tok in pattern:
        if len(tok) != 1:
            return None
        (attr, value), = tok.items()
        if attr.upper() not in ("ORTH", "LOWER", "NORM"):
            return None
        if isinstance(value, str):
            values = [value]
        elif isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(v, str) for v in value["IN"]):
            values = list(value["IN"])
        else:
            return None
        attrs.add(attr.upper())
        choices.append(sorted(set(values)))
    if len(attrs) != 1 or _product_size(choices) > MAX_VARIANTS:
        return None
    return attrs.pop(), [list(c) for c in product(*choices)]


def _join_wildcards(doc: Doc, segment_hits: list[list[tuple[int, int]]], gaps: list[int]) -> list[tuple[int, int]]:
    """Chain segment matches separated by exactly ``gaps[k]`` tokens (a hyphen
    beside a '*' does not count), then add the leading and trailing '*' tokens."""
    def words_between(a: int, b: int) -> int:
        inner = [t.text for t in doc[a:b]]
        return len(inner) - inner.count("-")
    chains = list(segment_hits[0])
    for k in range(1, len(segment_hits)):
        chains = [(s, e2) for s, e1 in chains for s2, e2 in segment_hits[k]
                  if s2 > e1 and s2 - e1 <= 2 * gaps[k] + 1 and words_between(e1, s2) == gaps[k]]
    return [(s - gaps[0], e + gaps[-1]) for s, e in chains if s - gaps[0] >= 0 and e + gaps[-1] <= len(doc)]


class _Matchers:
    """The spaCy matchers for one set of codebook fields: a PhraseMatcher on
    the tagger's attribute (phrases, and the segments of wildcard phrases), a
    PhraseMatcher per other attribute (plain word lists), and the token
    Matcher for richer patterns."""

    def __init__(self, vocab, attr: str) -> None:
        self.phrases = PhraseMatcher(vocab, attr=attr)
        self.matcher = Matcher(vocab)
        self.word_lists: dict[str, PhraseMatcher] = {}
        self.wildcards: list[tuple[str, list[int]]] = []

    def __call__(self, doclike: Doc | Span):
        """(key, start, end) in the doc's token offsets for every match in ``doclike``."""
        doc = doclike.doc if isinstance(doclike, Span) else doclike
        segment_hits: dict[int, list[list[tuple[int, int]]]] = {}
        for match_id, start, end in self.phrases(doclike):  # a PhraseMatcher gives doc offsets for a Span too
            key = doc.vocab.strings[match_id]
            if key.startswith("~"):
                n, k = map(int, key[1:].split(":"))
                if n not in segment_hits:  # not setdefault: its default list of lists was built on every hit
                    segment_hits[n] = [[] for _ in range(len(self.wildcards[n][1]) - 1)]
                segment_hits[n][k].append((start, end))
            else:
                yield key, start, end
        for n, hits in segment_hits.items():
            if all(hits):
                key, gaps = self.wildcards[n]
                for start, end in _join_wildcards(doc, hits, gaps):
                    yield key, start, end
        for matcher in self.word_lists.values():
            for match_id, start, end in matcher(doclike):
                yield doc.vocab.strings[match_id], start, end
        if len(self.matcher):
            offset = doclike.start if isinstance(doclike, Span) else 0  # the token Matcher gives a Span's own offsets
            for match_id, start, end in self.matcher(doclike):
                yield doc.vocab.strings[match_id], start + offset, end + offset


class ThemeTagger:
    """spaCy component: sentence-level theme mentions into ``doc.spans["themes"]``
    (label = theme id, kb_id = rule id, id = parent theme id).

    A rule's ``patterns`` are matched in the whole text; its context cues
    (``requires``, ``unless``, ``exclude``) only in the sentences where some
    rule's pattern was found. Cue words are common ("they", "people", "who"):
    matching them everywhere found 30 cue matches for every pattern match on
    the UN speeches, and handling them took most of theme matching's time."""

    def __init__(self, nlp: Language, name: str, codebook: str) -> None:
        self.name = name
        self.codebook = load_codebook(Path(codebook))
        from .nlp import norms_are_lemmas
        # "NORM": each token's NORM is its lemma (core.nlp.use_lemma_norms); "LOWER": patterns list word forms
        self.attr = "NORM" if norms_are_lemmas(nlp) else "LOWER"
        self.patterns = _Matchers(nlp.vocab, self.attr)
        self.cues = _Matchers(nlp.vocab, self.attr)
        self.lemmas = english()
        self.rules: dict[str, tuple[Theme, Rule]] = {}
        self.nlp = nlp
        self._compiled = False

    def _forms(self, text: str, attr: str | None = None) -> list[list[str]]:
        """For each token of a pattern word, the values of ``attr`` (default
        ``self.attr``) it matches: its lemma (NORM), or the word forms sharing
        its lemma (LOWER); hyphens dropped: they are optional between words anyway."""
        tokens = [t.text for t in self.nlp.make_doc(text) if t.text != "-"]
        if (attr or self.attr) == "NORM":
            return [sorted(self._lemmas_of(t)) for t in tokens]
        return [sorted({f for lemma in self._lemmas_of(t) for f in self.lemmas.forms(lemma)}) for t in tokens]

    def _lemmas_of(self, word: str) -> set[str]:
        """The lemmas a pattern word stands for: its own lemma and, where
        other words have the word itself as their lemma, the word too. The
        lookup table gives 'bombing' the lemma 'bomb' but 'bombings' the
        lemma 'bombing' (likewise shooting(s), killing(s), meeting(s)), so a
        pattern word 'bombing' must match both."""
        lemma = self.lemmas.lemma(word)
        word = word.lower()
        return {lemma, word} if word != lemma and word in self.lemmas.inverse else {lemma}

    def _lower_pattern(self, pattern) -> list[dict]:
        """A token pattern with LEMMA tests turned into tests on ``self.attr``,
        or on LOWER word forms where the pattern also tests exact words: a
        pattern on one attribute runs on a PhraseMatcher, while a mixed one
        would need the token Matcher, a pass over every token that made
        theme matching 1.5 times slower."""
        attr = self.attr if all(set(tok) <= {"LEMMA"} for tok in pattern) else "LOWER"
        out = []
        for tok in pattern:
            tok = dict(tok)
            lemma = tok.pop("LEMMA", None)
            if lemma is not None:
                wanted = lemma["IN"] if isinstance(lemma, dict) and "IN" in lemma else [lemma]
                if not all(isinstance(w, str) for w in wanted) or (isinstance(lemma, dict) and set(lemma) != {"IN"}):
                    raise ValueError("LEMMA takes a word or {IN: [words]}")
                tok[attr] = {"IN": sorted({f for w in wanted for f in self._forms(w, attr)[0]})}
            out.append(tok)
        return out

    def compile(self) -> None:
        """Build the matchers (needs the lemmatizer's tables, so after
        initialize). Phrases, wildcard phrases and plain word lists all run on
        PhraseMatchers; only richer token patterns need the token Matcher."""
        for theme in self.codebook.themes:
            for rule in theme.rules:
                self.rules[rule.id] = (theme, rule)
                for fld in PATTERN_FIELDS:
                    for pattern in getattr(rule, fld):
                        try:
                            self._add(f"{rule.id}|{fld}", pattern, self.patterns if fld == "patterns" else self.cues)
                        except Exception as err:  # spaCy raises ValueError/MatchPatternError with details
                            raise codebook_error(self.codebook.path, f"theme {theme.id}, rule {rule.id}, field '{fld}'",
                                        f"invalid pattern {pattern!r}: {str(err).splitlines()[0]}") from err
        self.order = {rule_id: n for n, rule_id in enumerate(self.rules)}
        self._compiled = True

    def _phrase_keys(self, sequences: list[list[str]], attr: str = "LOWER") -> list[tuple[int, ...]]:
        """Patterns for a PhraseMatcher on ``attr`` as what it stores of a
        pattern doc: the hashes of each token's value (its ``add`` takes these
        as it takes docs; it is how a pickled PhraseMatcher is rebuilt). Making
        a Doc of each of the codebook's 100,037 variants, only to read them
        back, took a third of building the pipeline. The values are those a
        doc of the words would hold: LOWER lower-cases the word, ORTH keeps
        it, a NORM is set as given (the lemma of a lemma need not be itself)."""
        add = self.nlp.vocab.strings.add
        if attr == "LOWER":
            return [tuple(add(word.lower()) for word in seq) for seq in sequences]
        return [tuple(add(word) for word in seq) for seq in sequences]

    def _add(self, key: str, pattern, into: _Matchers) -> None:
        if isinstance(pattern, str):
            segments, gaps = wildcard_parts(pattern)
            variants = [phrase_variants(seg, self._forms) for seg in segments]
            if not segments or any(v is None for v in variants):
                into.matcher.add(key, phrase_to_patterns(pattern, self._forms, self.attr))
            elif len(segments) == 1 and gaps == [0, 0]:
                into.phrases.add(key, self._phrase_keys(variants[0], self.attr))
            else:
                n = len(into.wildcards)
                into.wildcards.append((key, gaps))
                for k, seg_variants in enumerate(variants):
                    into.phrases.add(f"~{n}:{k}", self._phrase_keys(seg_variants, self.attr))
            return
        pattern = self._lower_pattern(pattern)
        simple = simple_token_pattern(pattern)
        if simple is None:
            into.matcher.add(key, [pattern])
            return
        attr, sequences = simple
        if attr == self.attr:  # one PhraseMatcher pass per attribute
            into.phrases.add(key, self._phrase_keys(sequences, attr))
            return
        if attr not in into.word_lists:
            into.word_lists[attr] = PhraseMatcher(self.nlp.vocab, attr=attr)
        into.word_lists[attr].add(key, self._phrase_keys(sequences, attr))

    def token_matcher_patterns(self) -> int:
        """How many patterns need spaCy's token Matcher (a pass over every token)."""
        return len(self.patterns.matcher) + len(self.cues.matcher)

    def __call__(self, doc: Doc) -> Doc:
        if not self._compiled:
            self.compile()
        sent_starts = [sent.start for sent in doc.sents]
        hits: dict[tuple[int, str], dict[str, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
        for key, start, end in self.patterns(doc):
            rule_id, fld = key.split("|")
            hits[(bisect.bisect_right(sent_starts, start), rule_id)][fld].append((start, end))
        for i in sorted({n for n, _ in hits}):  # the cues of the rules found in each sentence, in that sentence
            sentence = doc[sent_starts[i - 1]:sent_starts[i] if i < len(sent_starts) else len(doc)]
            for key, start, end in self.cues(sentence):
                rule_id, fld = key.split("|")
                if (i, rule_id) in hits:
                    hits[(i, rule_id)][fld].append((start, end))
        # the name of an organisation, forum, working group, meeting or title is no evidence of its theme
        names = [(e.start, e.end) for e in doc.ents if e.label_ == "ORG"]
        # the text the tokenizer kept: Doc.text joins every token anew, a fifth of theme matching's time
        text = doc_text(doc)
        for i in sorted({n for n, _ in hits}):  # names are looked for only in sentences with a theme word
            start, end = sent_starts[i - 1], sent_starts[i] if i < len(sent_starts) else len(doc)
            names += forum_names(doc, text, doc[start].idx, doc[end - 1].idx + len(doc[end - 1].text))
        spans: list[Span] = []
        # in codebook order, so a span two rules find is credited to the first whichever matcher found it first
        for (_, rule_id), found in sorted(hits.items(), key=lambda kv: (kv[0][0], self.order[kv[0][1]])):
            for fld in ("patterns", "requires"):
                # a match that starts inside a name is the name's word, even when the pattern reaches past it
                # ('the Ambassador for People Smuggling and Human Trafficking for her leadership')
                found[fld] = [(s, e) for s, e in found[fld] if not any(ns <= s < ne for ns, ne in names)]
            if not found["patterns"] or (self.rules[rule_id][1].requires and not found["requires"]) or found["unless"]:
                continue
            theme = self.rules[rule_id][0]
            vetoes = found["exclude"]
            for start, end in _longest(found["patterns"]):
                if not any(s < end and start < e for s, e in vetoes):
                    spans.append(Span(doc, start, end, label=theme.id, kb_id=rule_id, span_id=theme.parent))
                    if theme.parent:
                        spans.append(Span(doc, start, end, label=theme.parent, kb_id=f"via {theme.id}"))
        doc.spans["themes"] = SpanGroup(doc, name="themes", spans=_dedupe(spans))
        return doc


# "Working Group on Trafficking in Persons", "Ambassador for People Smuggling and Human Trafficking Issues",
# "Bali Process on People Smuggling, Trafficking in Persons and Related Transnational Crime": a head word of a
# forum, body or title, then on/for/against/to and words in title case (lower-case prose is never a name)
_NAME_HEAD = (r"Working\s+Group|Conference|Workshop|Symposium|Forum|Dialogue|Consultation|Ambassador|Taskforce|"
              r"Roundtable|Round\s+Table|Webinar|Seminar|Retreat|"
              r"Task\s+Force|Initiative|Process|Summit|Meeting|Group|Committee|Commission|Council|Office|Unit|"
              r"Centre|Center|Network|Alliance|Partnership|Programme|Program|Project|Fund|Secretariat|"
              r"Rapporteur|Coordinator|Action|Day|Week|Campaign|Institute|Agency|Service|Command|Department|Ministry")
_TITLE_WORD = r"(?:[A-Z][\w'’\-]*)"
# Searching for the head first and growing the name around it is measurably faster than one pattern with an
# optional run of title words in front (which the regex engine retries at every position of the text).
_NAME_HEAD_AT = re.compile(rf"\b(?:{_NAME_HEAD})\s+(?:on|for|against|to\s+Combat|to\s+End|of)\s+(?:the\s+)?"
                           rf"(?={_TITLE_WORD})")
_NAME_REST = re.compile(rf"{_TITLE_WORD}(?:(?:\s*[,:]\s*|\s+(?:and|of|in|the|&|on|for|against|to)\s+|\s+|-)"
                        rf"{_TITLE_WORD})*")
_NAME_BEFORE = re.compile(rf"(?:{_TITLE_WORD}\s+){{1,8}}$")
# "the Trafficking in Persons Working Group", "a Regional Symposium on ...": title-case words (joined by in, of,
# and, ...) ending in the head of a forum or body
_FORUM_HEAD_END = re.compile(r"\b(?:Working\s+Group|Conference|Workshop|Symposium|Forum|Dialogue|Consultation|"
                             r"Taskforce|Task\s+Force|Roundtable|Round\s+Table|Webinar|Seminar|Retreat|Summit|"
                             r"Committee|Commission|Council|Unit|Secretariat)\b")
_NAME_BEFORE_JOINED = re.compile(rf"{_TITLE_WORD}(?:\s+(?:in|of|and|&|on|for|against|the|to)\s+{_TITLE_WORD}|\s+"
                                 rf"{_TITLE_WORD}|-{_TITLE_WORD}){{0,10}}\s+$")
# the Bali Process's own subtitle, whatever it follows ("the Bali Declaration on People Smuggling, ...")
_BALI_SUBTITLE = re.compile(r"\bon\s+People\s+Smuggling,?\s+Trafficking\s+in\s+Persons,?\s+and\s+Related\s+"
                            r"Transnational\s+Crimes?\b")


def forum_names(doc: Doc, text: str | None = None, start_char: int = 0, end_char: int | None = None,
                ) -> list[tuple[int, int]]:
    """Token ranges of names of forums, bodies and titles written in title
    case, in ``doc`` or between two of its character offsets (``text`` is
    ``doc.text``, passed by a caller that has it already)."""
    text = doc.text if text is None else text
    end_char = len(text) if end_char is None else end_char
    out: list[tuple[int, int]] = []
    for m in _NAME_HEAD_AT.finditer(text, start_char, end_char):
        rest = _NAME_REST.match(text, m.end(), end_char)
        end = rest.end() if rest else m.end()
        window = max(start_char, m.start() - 160)
        before = _NAME_BEFORE.search(text, window, m.start())
        start = before.start() if before else m.start()
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None and not (out and span.start < out[-1][1]):
            out.append((span.start, span.end))
    for pattern in (_FORUM_HEAD_END, _BALI_SUBTITLE):
        for m in pattern.finditer(text, start_char, end_char):
            before = _NAME_BEFORE_JOINED.search(text, max(start_char, m.start() - 160), m.start())
            span = doc.char_span(before.start() if before else m.start(), m.end(), alignment_mode="expand")
            if span is not None and (before or pattern is _BALI_SUBTITLE) and \
                    all(span.end <= s or e <= span.start for s, e in out):
                out.append((span.start, span.end))
    return sorted(out)


def _longest(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop ranges inside longer ones."""
    ranges = sorted(set(ranges), key=lambda r: (r[0], -(r[1] - r[0])))
    out: list[tuple[int, int]] = []
    for s, e in ranges:
        if out and s >= out[-1][0] and e <= out[-1][1]:
            continue
        out.append((s, e))
    return out


def _dedupe(spans: list[Span]) -> list[Span]:
    """One span per theme and token range, the first one listed winning; in text order."""
    seen, out = set(), []
    for span in sorted(spans, key=lambda s: (s.start, s.end, s.label_)):
        key = (span.label_, span.start, span.end)
        if key not in seen:
            seen.add(key)
            out.append(span)
    return out


@Language.factory("bali_themes", default_config={"codebook": "corpus/codebook.yaml"})
def make_bali_themes(nlp: Language, name: str, codebook: str) -> ThemeTagger:
    return ThemeTagger(nlp, name, codebook)


def sentence_themes(doc: Doc) -> set[str]:
    return {span.label_ for span in doc.spans.get("themes", [])}


def check_examples(nlp: Language, book: Codebook) -> list[str]:
    """Every example against its theme: a positive must carry the theme, a
    negative must not. Returns one message per failure."""
    failures = []
    for theme in book.themes:
        for kind, texts, want in (("positive", theme.positive, True), ("negative", theme.negative, False)):
            for text, doc in zip(texts, nlp.pipe(texts)):
                if (theme.id in sentence_themes(doc)) != want:
                    failures.append(f"{book.path}: theme {theme.id}, examples.{kind}: "
                                    f"{'not tagged' if want else 'tagged'}: {text!r}")
    return failures
