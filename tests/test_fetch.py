"""`python -m pipeline.fetch` against a local HTTP server on 127.0.0.1 (started
here, serving fixture pages written for these tests; nothing touches the
internet): clean statements that ingest and tag like the seed, and every
failure reported without losing data."""

from __future__ import annotations

import csv
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from pipeline import fetch, ingest, tag
from pipeline.core.fetch import Fetcher, FetchError, statement_pdf_links

from .conftest import PARAMS
from .fixtures import two_page_pdf

BOILERPLATE = ["Skip to main content", "Home | About | Events | Contact", "We use cookies to improve your experience",
               "Copyright 2025 Regional Support Office. All rights reserved."]
ARTICLE = """
<article><h1>Co-Chairs' Statement: Sixth Meeting of the Disruption Working Group</h1>
<p>Bangkok, Thailand, 12 March 2025</p>
<p>The Sixth Meeting of the Bali Process Working Group on the Disruption of People Smuggling and Trafficking in
Persons Networks was held in Bangkok on 12 March 2025. Members discussed the growth of online scam centres and the
trafficking of victims into forced criminality, and called for stronger law enforcement cooperation.</p>
<p>Fiji presented on exploitation in the fishing industry, and members welcomed work on the safe return and
reintegration of survivors. The Co-Chairs thanked all participants for their contributions to the meeting.</p>
</article>"""


def page(body: str) -> bytes:
    return f"""<!DOCTYPE html><html><head><title>Bali Process</title></head><body>
<div class="skip"><a href="#main">{BOILERPLATE[0]}</a></div>
<nav><ul><li><a href="/">Home</a> | <a href="/about">About</a> | <a href="/events">Events</a> |
<a href="/contact">Contact</a></li></ul><p>{BOILERPLATE[1]}</p></nav>
<div id="cookie-banner" class="cookie-consent"><p>{BOILERPLATE[2]}</p><button>Accept</button></div>
<main id="main">{body}</main>
<footer><p>{BOILERPLATE[3]}</p><a href="/privacy">Privacy</a></footer></body></html>""".encode()


class Site:
    """The fixture site: what each path returns, and a log of requests."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, str, dict]] = []
        self.flaky_calls = 0
        self.busy_calls = 0
        self.changing = "first"
        self.pdf = two_page_pdf()

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        path = handler.path
        self.requests.append((time.monotonic(), path, dict(handler.headers)))
        if path == "/robots.txt":
            return self.send(handler, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path == "/event":
            if handler.headers.get("If-None-Match") == '"v1"':
                return self.send(handler, 304, b"", "text/html")
            return self.send(handler, 200, page(ARTICLE), "text/html; charset=utf-8", {"ETag": '"v1"'})
        if path == "/event-with-pdf":
            body = ('<article><h1>Ad Hoc Group Senior Officials Meeting</h1><p>The meeting was held in Bali.</p>'
                    '<p><a href="/files/menu.pdf">Conference menu</a> '
                    '<a href="/files/co-chairs-statement.pdf">Download the Co-Chairs\' Statement (PDF)</a></p>'
                    '</article>')
            return self.send(handler, 200, page(body), "text/html")
        if path == "/files/co-chairs-statement.pdf":
            return self.send(handler, 200, self.pdf, "application/pdf")
        if path == "/flaky":
            self.flaky_calls += 1
            if self.flaky_calls == 1:
                return self.send(handler, 500, b"try again", "text/plain")
            return self.send(handler, 200, page(ARTICLE.replace("Sixth", "Seventh")), "text/html")
        if path == "/slow":
            time.sleep(1.5)
            return self.send(handler, 200, page(ARTICLE), "text/html")
        if path == "/huge":
            return self.send(handler, 200, page(ARTICLE + "<p>padding</p>" * 5000), "text/html")
        if path == "/old-address":
            return self.send(handler, 301, b"", "text/html", {"Location": "/event"})
        if path == "/changing":
            text = ARTICLE.replace("Sixth", "Eighth" if self.changing == "first" else "Ninth")
            return self.send(handler, 200, page(text), "text/html")
        if path == "/to-private":
            return self.send(handler, 302, b"", "text/html", {"Location": "/private/page"})
        if path == "/loop-a":
            return self.send(handler, 302, b"", "text/html", {"Location": "/loop-b"})
        if path == "/loop-b":
            return self.send(handler, 302, b"", "text/html", {"Location": "/loop-a"})
        if path == "/busy":
            self.busy_calls += 1
            if self.busy_calls == 1:
                return self.send(handler, 429, b"slow down", "text/plain", {"Retry-After": "3"})
            return self.send(handler, 200, page(ARTICLE), "text/html")
        if path == "/very-busy":
            return self.send(handler, 429, b"slow down", "text/plain", {"Retry-After": "86400"})
        if path == "/trickle":
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.end_headers()
            for _ in range(40):  # a byte every 50 ms: each read is quick, the whole is not
                handler.wfile.write(b"x")
                handler.wfile.flush()
                time.sleep(0.05)
            return None
        if path == "/event-with-dead-pdf":
            body = ARTICLE.replace("</article>", '<p><a href="/files/gone-co-chairs-statement.pdf">Co-Chairs\' '
                                                 'Statement (PDF)</a></p></article>')
            return self.send(handler, 200, page(body), "text/html")
        if path.startswith("/private/"):
            return self.send(handler, 200, page(ARTICLE), "text/html")
        return self.send(handler, 404, b"not found", "text/plain")

    @staticmethod
    def send(handler, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            handler.send_header(k, v)
        handler.end_headers()
        if body:
            handler.wfile.write(body)


@pytest.fixture
def site():
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the http.server API)
            state.respond(self)

        def log_message(self, *args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # clients that time out on /slow close the connection: expected here

    server = Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    state.server = server
    yield state
    server.shutdown()
    server.server_close()


SOURCES = ["event", "event-with-pdf", "missing", "flaky", "slow", "huge", "old-address", "private/page"]


@pytest.fixture
def project(tmp_path, site):
    (tmp_path / "statements").mkdir()
    with (tmp_path / "sources.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["source_id", "url", "series", "ordinal", "title", "start_date", "city", "country"])
        for name in SOURCES:
            writer.writerow([name.replace("/", "-"), f"{site.base}/{name}", "Disruption WG", "6",
                             "Sixth Meeting of the Disruption Working Group", "2025-03-12", "Bangkok", "Thailand"])
    (tmp_path / "params.yaml").write_text(
        "fetch:\n  timeout_seconds: 0.5\n  retries: 2\n  backoff_seconds: 0.05\n  min_interval_seconds: 0.05\n"
        "  max_bytes: 20000\n  user_agent: bali-themes-tests/1.0 (research pipeline)\n", encoding="utf-8")
    return tmp_path


def run_fetch(project) -> dict:
    assert fetch.main(["--sources", str(project / "sources.csv"), "--statements", str(project / "statements"),
                       "--manifest", str(project / "statements.csv"), "--superseded", str(project / "superseded"),
                       "--log", str(project / "fetch.json"), "--params", str(project / "params.yaml")]) == 0
    return {entry["source_id"]: entry for entry in json.loads((project / "fetch.json").read_text()).values()}


def manifest(project) -> dict[str, dict]:
    with (project / "statements.csv").open(encoding="utf-8") as f:
        return {row["file"]: row for row in csv.DictReader(f)}


def test_each_source_is_fetched_or_fails_with_its_reason(project):
    log = run_fetch(project)
    assert {k: v["status"] for k, v in log.items()} == {
        "event": "new", "event-with-pdf": "new", "missing": "failed", "flaky": "new", "slow": "failed",
        "huge": "failed", "old-address": "new", "private-page": "failed"}
    assert log["missing"]["reason"] == "HTTP 404"
    assert "Timeout" in log["slow"]["reason"] or "timed out" in log["slow"]["reason"].lower()
    assert "20,000-byte cap" in log["huge"]["reason"]
    assert "robots.txt" in log["private-page"]["reason"]
    assert log["old-address"]["from"].endswith("/event")  # the redirect was followed


def test_a_page_is_reduced_to_its_main_text_without_boilerplate(project):
    run_fetch(project)
    text = (project / "statements/fetched/event.md").read_text(encoding="utf-8")
    assert "online scam centres" in text and "Fiji presented" in text
    assert not any(junk in text for junk in BOILERPLATE)


def test_a_page_linking_its_statement_as_a_pdf_gives_the_pdf(project, site):
    run_fetch(project)
    assert (project / "statements/fetched/event-with-pdf.pdf").read_bytes() == site.pdf
    assert not (project / "statements/fetched/event-with-pdf.md").exists()
    assert statement_pdf_links('<a href="/x/menu.pdf">Menu</a><a href="s.pdf">Co-Chairs Statement</a>',
                               "http://h/e/") == ["http://h/e/s.pdf"]


def test_the_manifest_records_source_time_hash_and_status(project):
    run_fetch(project)
    row = manifest(project)["fetched/event.md"]
    body = (project / "statements/fetched/event.md").read_bytes()
    import hashlib
    assert row["sha256"] == hashlib.sha256(body).hexdigest() and row["http_status"] == "200"
    assert row["source_url"].endswith("/event") and row["fetched_at"].endswith("+00:00")
    assert (row["series"], row["ordinal"], row["city"]) == ("Disruption WG", "6", "Bangkok")


def test_requests_are_polite_user_agent_rate_limit_retry(project, site):
    run_fetch(project)
    agents = {headers.get("User-Agent") for _, _, headers in site.requests}
    assert agents == {"bali-themes-tests/1.0 (research pipeline)"}
    assert site.flaky_calls == 2  # the 500 was retried once and then succeeded
    # the spacing between requests is checked with a fake clock below: seen from a loaded
    # server, the gaps jitter, and a timed assertion would fail at random


def test_the_rate_limit_spaces_requests_to_a_host_and_retries_back_off(site):
    now, waits = [0.0], []

    def sleep(seconds):
        waits.append(round(seconds, 3))
        now[0] += seconds

    fetcher = Fetcher(user_agent="t", timeout=1, retries=2, backoff=0.5, min_interval=2.0, sleep=sleep,
                      clock=lambda: now[0], respect_robots=False)
    fetcher.get(f"{site.base}/event")
    fetcher.get(f"{site.base}/flaky")  # 500, then 200 on the retry
    assert waits == [2.0, 0.5, 1.5]  # the host's turn; the backoff; the rest of the 2 s between attempts


def test_an_unchanged_page_is_not_downloaded_again(project, site):
    run_fetch(project)
    site.requests.clear()
    log = run_fetch(project)
    assert log["event"]["status"] == "not modified"
    conditional = [h for _, path, h in site.requests if path == "/event"]
    assert conditional and all(h.get("If-None-Match") == '"v1"' for h in conditional)


def test_a_changed_page_is_kept_as_a_new_version_and_the_old_one_is_kept(project, site):
    with (project / "sources.csv").open("a", encoding="utf-8") as f:
        f.write(f"changing,{site.base}/changing,Disruption WG,8,Eighth meeting,2025-03-12,Bangkok,Thailand\n")
    run_fetch(project)
    first = (project / "statements/fetched/changing.md").read_text()
    site.changing = "second"
    assert run_fetch(project)["changing"]["status"] == "changed"
    assert "Ninth" in (project / "statements/fetched/changing.md").read_text()
    kept = list((project / "superseded").glob("changing.*.md"))
    assert len(kept) == 1 and kept[0].read_text() == first and "Eighth" in first


def test_an_offline_fetch_reports_every_url_and_keeps_the_corpus(project, site):
    run_fetch(project)
    before = {p: p.read_bytes() for p in (project / "statements").rglob("*") if p.is_file()}
    rows_before = manifest(project)
    site.server.shutdown()
    site.server.server_close()
    log = run_fetch(project)
    assert {v["status"] for v in log.values()} == {"failed"}
    assert all("no response" in v["reason"] for v in log.values())
    assert {p: p.read_bytes() for p in (project / "statements").rglob("*") if p.is_file()} == before
    assert manifest(project) == rows_before


def test_fetched_statements_ingest_and_tag_like_the_seed(project):
    run_fetch(project)
    out = project / "out"
    params = str(PARAMS)
    assert ingest.main(["--statements", str(project / "statements"), "--manifest", str(project / "statements.csv"),
                        "--out", str(out / "interim"), "--metrics", str(out / "ingest.json"),
                        "--duplicates", str(out / "duplicates.csv"), "--params", params]) == 0
    assert tag.main(["--interim", str(out / "interim"), "--tables", str(out / "tables"),
                     "--metrics", str(out / "tag.json"), "--params", params]) == 0
    statements = pd.read_parquet(out / "interim/statements.parquet").set_index("path")
    # the old address redirects to the same page: ingest keeps one copy and says so
    assert statements.loc["fetched/old-address.md", "reason"] == "duplicate of fetched/event.md: remove one of the two files"
    assert set(statements.drop(index="fetched/old-address.md").status) == {"ok"}
    event = statements.loc["fetched/event.md"]
    assert (event.series, event.ordinal, event.city, event.series_source) == ("Disruption WG", 6, "Bangkok", "manifest")
    mentions = pd.read_parquet(out / "interim/mentions.parquet")
    themes = set(mentions.loc[mentions.statement_id == event.statement_id, "label"])
    assert {"scam_centres", "fishing", "law_enforcement", "FJI"} & themes >= {"scam_centres", "fishing"}
    pdf = statements.loc["fetched/event-with-pdf.pdf"]
    assert pdf.format == "pdf" and pdf.n_words > 50


def test_the_client_refuses_a_declared_oversize_body_before_reading_it(site):
    fetcher = Fetcher(user_agent="t", timeout=1, retries=0, min_interval=0, max_bytes=100)
    with pytest.raises(FetchError, match="cap"):
        fetcher.get(f"{site.base}/huge")


def test_bad_sources_are_reported_with_their_line(tmp_path):
    bad = tmp_path / "sources.csv"
    bad.write_text("source_id,url\nok-1,https://example.org/a\nok-1,https://example.org/b\n", encoding="utf-8")
    with pytest.raises(Exception, match="line 3: source_id 'ok-1' is used twice"):
        fetch.main(["--sources", str(bad), "--statements", str(tmp_path / "s"), "--manifest", str(tmp_path / "m.csv"),
                    "--log", str(tmp_path / "log.json")])


def test_a_source_already_in_the_corpus_by_hand_is_not_fetched_again(project, site):
    (project / "statements" / "by-hand.txt").write_text("Saved by hand.\n", encoding="utf-8")
    (project / "statements.csv").write_text(f"file,source_url\nby-hand.txt,{site.base}/event\n", encoding="utf-8")
    log = run_fetch(project)
    assert log["event"] == {"source_id": "event", "status": "already in the corpus", "file": "by-hand.txt"}
    assert not (project / "statements/fetched/event.md").exists()


def fetcher(**kw) -> Fetcher:
    sleeps: list[float] = []
    f = Fetcher(user_agent="test", timeout=5, retries=2, backoff=0.01, min_interval=0, sleep=sleeps.append, **kw)
    f.sleeps = sleeps
    return f


def test_robots_txt_is_checked_again_after_a_redirect(site):
    with pytest.raises(FetchError, match="redirected to .*/private/page, which the site's robots.txt disallows"):
        fetcher().get(f"{site.base}/to-private")


def test_a_redirect_loop_is_called_a_loop(site):
    with pytest.raises(FetchError, match="redirect loop"):
        fetcher().get(f"{site.base}/loop-a")


def test_429_waits_as_long_as_retry_after_asks_and_gives_up_when_it_asks_too_much(site):
    f = fetcher()
    assert f.get(f"{site.base}/busy").status == 200 and 3.0 in f.sleeps
    with pytest.raises(FetchError, match="asks to wait 86400 s"):
        fetcher().get(f"{site.base}/very-busy")


def test_a_server_that_trickles_bytes_is_cut_off_by_a_total_deadline(site):
    with pytest.raises(FetchError, match="longer than 1 s in all"):
        fetcher(total_seconds=1).get(f"{site.base}/trickle")


def test_a_dead_statement_pdf_link_falls_back_to_the_page_text(site):
    from pipeline.core.fetch import Source
    from pipeline.fetch import fetch_source
    ext, content, _ = fetch_source(fetcher(), Source("e", f"{site.base}/event-with-dead-pdf", {}), None)
    assert ext == "md" and b"scam centres" in content


def test_a_manifest_path_that_leaves_the_corpus_is_never_moved(tmp_path):
    from pipeline.core.errors import PipelineError
    from pipeline.fetch import retire
    (tmp_path / "corpus").mkdir()
    outside = tmp_path / "x.txt"
    outside.write_text("keep me")
    with pytest.raises(PipelineError, match="outside"):
        retire(tmp_path / "corpus", tmp_path / "superseded", "fetched/../../x.txt")
    assert outside.read_text() == "keep me"
