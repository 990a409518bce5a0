"""Fetching public statements politely and safely: an HTTP client with
timeouts, retries with backoff, a per-host rate limit, robots.txt,
conditional requests and a size cap; and the choices about what to keep
from a page (its main text, or the statement PDF it links).

Nothing here writes files: :mod:`pipeline.fetch` decides where things go.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import time
from email.utils import parsedate_to_datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlparse
from urllib.robotparser import RobotFileParser

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.util import Retry, Timeout

from .errors import PipelineError

SOURCE_COLUMNS = ("source_id", "url", "series", "ordinal", "title", "start_date", "end_date", "city", "country",
                  "doc_type")
STATEMENT_LINK = re.compile(r"statement|co-?chair|summary|outcome|communiqu|declaration|report", re.I)


class FetchError(Exception):
    """A source that could not be fetched; the message says why."""


@dataclass(frozen=True)
class Source:
    source_id: str
    url: str
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Response:
    url: str          # after redirects
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf" or self.body[:5] == b"%PDF-"


def load_sources(path: Path) -> list[Source]:
    """corpus/sources.csv: one row per public statement URL, with the meeting
    it belongs to. A bad row stops the run with its line number."""
    if not path.exists():
        raise PipelineError(f"{path}: not found: create it with a header {','.join(SOURCE_COLUMNS)}")
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        unknown = set(reader.fieldnames or []) - set(SOURCE_COLUMNS)
        if unknown or "url" not in (reader.fieldnames or []) or "source_id" not in (reader.fieldnames or []):
            raise PipelineError(f"{path}, line 1: columns must include source_id and url and be among "
                                f"{', '.join(SOURCE_COLUMNS)}")
        sources, seen = [], set()
        for row in reader:
            line = reader.line_num
            sid, url = (row.get("source_id") or "").strip(), (row.get("url") or "").strip()
            if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", sid):
                raise PipelineError(f"{path}, line {line}: source_id {sid!r} must be lower-case letters, digits, -")
            if sid in seen:
                raise PipelineError(f"{path}, line {line}: source_id {sid!r} is used twice")
            if urlparse(url).scheme not in ("http", "https"):
                raise PipelineError(f"{path}, line {line}: url {url!r} is not an http(s) address")
            seen.add(sid)
            sources.append(Source(sid, url, {k: (v or "").strip() for k, v in row.items()
                                             if k not in ("source_id", "url") and v}))
    return sources


def sources_from_register(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Source rows for every meeting in the register with a public URL."""
    out, seen = [], set()
    for row in rows:
        url = (row.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            continue
        base = re.sub(r"[^a-z0-9]+", "-", f"{row.get('series', '')}-{row.get('ordinal', '')}".lower()).strip("-")
        sid, n = base, 2
        while sid in seen:
            sid, n = f"{base}-{n}", n + 1
        seen.add(sid)
        out.append({"source_id": sid, "url": url, **{k: (row.get(k) or "").strip() for k in SOURCE_COLUMNS
                                                      if k not in ("source_id", "url")}})
    return out


class Fetcher:
    """GET with a descriptive user agent, connect/read timeouts, retries with
    exponential backoff on connection errors and 5xx, at most one request per
    ``min_interval`` seconds to a host, robots.txt obeyed, redirects followed,
    and bodies larger than ``max_bytes`` refused."""

    def __init__(self, *, user_agent: str, timeout: float = 20.0, retries: int = 3, backoff: float = 1.0,
                 min_interval: float = 2.0, max_bytes: int = 20_000_000, respect_robots: bool = True,
                 total_seconds: float = 120.0, max_retry_after: float = 300.0,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.user_agent = user_agent
        self.total_seconds = total_seconds      # a whole response must arrive within this (a trickling server)
        self.max_retry_after = max_retry_after  # a 429/503 asking to wait longer than this is not retried
        self.max_bytes = max_bytes
        self.min_interval = min_interval
        self.respect_robots = respect_robots
        self.sleep, self.clock = sleep, clock
        self.last_request: dict[str, float] = {}
        self.robots: dict[str, RobotFileParser | None] = {}
        self.retries, self.backoff = retries, backoff
        # retries and redirects are handled here, so that each attempt waits its turn at the host
        self.http = urllib3.PoolManager(retries=Retry(total=0, redirect=0, raise_on_redirect=False,
                                                      raise_on_status=False),
                                        timeout=Timeout(connect=timeout, read=timeout))

    def _wait_for(self, host: str) -> None:
        last = self.last_request.get(host)
        if last is not None:
            wait = self.min_interval - (self.clock() - last)
            if wait > 0:
                self.sleep(wait)
        self.last_request[host] = self.clock()

    def allowed(self, url: str) -> bool:
        if not self.respect_robots:
            return True
        parts = urlparse(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self.robots:
            parser = None
            try:
                response = self._get(urljoin(root, "/robots.txt"), {})
                if response.status == 200:
                    parser = RobotFileParser()
                    parser.parse(response.body.decode("utf-8", "replace").splitlines())
            except FetchError:
                parser = None  # no robots.txt we can read: allowed, as crawlers treat it
            self.robots[root] = parser
        parser = self.robots[root]
        return parser is None or parser.can_fetch(self.user_agent, url)

    def get(self, url: str, *, etag: str = "", last_modified: str = "") -> Response:
        if not self.allowed(url):
            raise FetchError("disallowed by the site's robots.txt")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._get(url, headers, check_robots=True)

    def _retry_after(self, response: Response) -> float | None:
        """Seconds a 429 or 503 asks to wait (Retry-After in seconds or as a
        date), or None when it does not say."""
        value = response.headers.get("retry-after", "").strip()
        if value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - dt.datetime.now(when.tzinfo or dt.timezone.utc)).total_seconds())

    def _get(self, url: str, headers: dict[str, str], *, check_robots: bool = False) -> Response:
        """One GET: connection errors, 429 and 5xx retried after 1, 2, 4, ...
        times ``backoff`` seconds (or the server's Retry-After); up to 5
        redirects followed, each checked against robots.txt; every attempt
        waits for the host's turn."""
        seen = [url]
        for redirect in range(6):
            wait = 0.0
            for attempt in range(self.retries + 1):
                if attempt:
                    self.sleep(max(wait, self.backoff * 2 ** (attempt - 1)))
                try:
                    response = self._attempt(url, headers)
                except _Retryable as err:
                    if attempt == self.retries:
                        raise FetchError(str(err)) from None
                    continue
                if (response.status >= 500 or response.status == 429) and attempt < self.retries:
                    asked = self._retry_after(response)
                    if asked is not None and asked > self.max_retry_after:
                        raise FetchError(f"HTTP {response.status}: the server asks to wait {asked:.0f} s "
                                         f"(more than {self.max_retry_after:.0f} s): try again later")
                    wait = asked or 0.0
                    continue
                break
            location = response.headers.get("location")
            if response.status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location)
                if url in seen:
                    raise FetchError(f"redirect loop: {' -> '.join(seen + [url])}")
                if redirect == 5:
                    raise FetchError(f"more than 5 redirects (last to {url})")
                if check_robots and not self.allowed(url):
                    raise FetchError(f"redirected to {url}, which the site's robots.txt disallows")
                seen.append(url)
                continue
            return response
        raise FetchError("more than 5 redirects")

    def _attempt(self, url: str, headers: dict[str, str]) -> Response:
        self._wait_for(urlparse(url).netloc)
        try:
            raw = self.http.request("GET", url, headers={"User-Agent": self.user_agent, **headers},
                                    preload_content=False, redirect=False)
        except Urllib3Error as err:
            reason = getattr(err, "reason", None) or err
            raise _Retryable(f"no response: {type(reason).__name__}: {reason}") from err
        try:
            declared = raw.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError(f"larger than the {self.max_bytes:,}-byte cap ({int(declared):,} bytes declared)")
            chunks, size = [], 0
            deadline = self.clock() + self.total_seconds
            # read1 returns what has arrived, so a server that trickles bytes meets the deadline between reads
            while chunk := raw.read1(65536):
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(f"larger than the {self.max_bytes:,}-byte cap")
                if self.clock() > deadline:
                    raise FetchError(f"the response took longer than {self.total_seconds:.0f} s in all: the server "
                                     "is too slow, try again later")
                chunks.append(chunk)
        except Urllib3Error as err:
            raise _Retryable(f"response broken off: {type(err).__name__}: {err}") from err
        finally:
            raw.release_conn()
        return Response(url, raw.status, {k.lower(): v for k, v in raw.headers.items()}, b"".join(chunks))


class _Retryable(Exception):
    """A connection error or timeout: worth another attempt."""


def statement_pdf_links(html: str, base_url: str) -> list[str]:
    """Links to PDFs on a page that look like the statement itself (by the
    link's words or file name), in page order."""
    from lxml import html as lxml_html
    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, Exception):  # lxml raises its own errors on empty or broken markup
        return []
    found = []
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if not href:
            continue
        url = urljoin(base_url, href)
        words = " ".join(a.itertext()) + " " + urlparse(url).path
        if urlparse(url).path.lower().endswith(".pdf") and STATEMENT_LINK.search(words) and url not in found:
            found.append(url)
    return found


def main_text(html: str, url: str) -> str:
    """The page's main content as Markdown (headings kept), without
    navigation, footers or cookie banners: trafilatura's extractor."""
    import trafilatura
    text = trafilatura.extract(html, url=url, output_format="markdown", include_comments=False,
                               include_tables=True, favor_precision=True) or ""
    return text.strip()
