"""The Sources page (issue 17): the five seed articles by their own titles, what the calculator takes
from each and the inputs that use it, no file number shown as text; and `cited`, which turns the
engine's citations ("(002)") into links to the page."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from htmlkit import Node, dom
from markupsafe import Markup, escape

from app.engine.scenario import rangeable
from app.web import fields
from app.web.sources import BY_ID, cited
from app.web.templating import templates

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
BARE = re.compile(r"(?<![\d,.])00[0-4](?!\d)")
"""A seed file's number standing alone in text."""


SNAPSHOT = {
    "000": "The Eight Experiments That Taught Me This",
    "001": "Fine-tuning is rarely the right answer",
    "002": "Is Fine-Tuning Worth It for Your Use Case? Probably Not.",
    "003": "When fine-tuning is worth the cost",
    "004": "Fine-tuning is a leverage tool, not a default step",
}
"""Words of each seed article that its title on the page must be, copied from the articles on
2026-12-02 (002's is its title line). The articles live outside the repository (../shared/seeds):
where they are, the snapshot is checked against them; in a fresh clone the snapshot stands in."""


def _seed_texts() -> dict[str, str]:
    """Each seed article's text by its number, or the snapshot's words where the articles are absent."""
    files = sorted(SEEDS.glob("00[0-9]_*.txt"))
    if not files:
        return dict(SNAPSHOT)
    texts = {f.name[:3]: f.read_text(encoding="utf-8") for f in files}
    assert set(texts) == set(SNAPSHOT)
    for number, words in SNAPSHOT.items():  # the snapshot still holds: the articles did not change
        assert _words(words) in _words(texts[number]), number
    return texts


def _words(text: str) -> str:
    return " ".join(text.split())


def _page(client: TestClient) -> Node:
    response = client.get("/sources")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    return dom(response.text)


def _visible_text(node: Node) -> str:
    """The text a reader sees: every text node outside <head>, <script> and <style>."""
    if node.tag in ("head", "script", "style"):
        return ""
    return " ".join(c if isinstance(c, str) else _visible_text(c) for c in node.children)


def test_the_page_lists_the_five_articles_by_their_own_titles(client: TestClient) -> None:
    page = _page(client)
    assert page.find("title").text().startswith("Sources")
    assert page.find("a", href="/sources").attrs.get("aria-current") == "page"
    texts = _seed_texts()
    assert len(texts) == 5
    toc = [a.attrs["href"] for a in page.find("nav", aria_label="Articles").find_all("a")]
    assert toc == [f"#{number}" for number in sorted(texts)]
    for number, text in sorted(texts.items()):
        section = page.find("section", id=number)
        title = section.find("h2").text()
        assert title and _words(title) in _words(text), f"{number}: {title!r} is not the article's own words"
        first = text.splitlines()[0].strip()
        if len(first) <= 80:  # a title line opens the article: the page shows exactly it
            assert title == first
        claims = [c for c in section.find("ol", class_="claims").children if isinstance(c, Node) and c.tag == "li"]
        assert 2 <= len(claims) <= 5, number


def test_each_article_lists_existing_inputs_by_their_form_names_and_every_input_citing_it(
    client: TestClient,
) -> None:
    page = _page(client)
    titles, known = fields.titles(), {*rangeable(), *fields.all_fields()}
    for number in BY_ID:
        section = page.find("section", id=number)
        rows = [
            tr
            for table in section.find_all("table", class_="source-inputs")
            for tr in table.find("tbody").find_all("tr")
        ]
        assert rows, number
        listed = set()
        for tr in rows:
            label, path = tr.find_all("td")[0].text(), tr.find("code").text()
            assert path in known, f"{number}: {path} is no input"
            assert label == titles.get(path, label), f"{path}: {label!r} is not the form's name"
            listed.add(path)
        citing = {p for p, f in fields.all_fields().items() if re.search(rf"(?<![\d,.]){number}(?!\d)", f.help)}
        assert citing <= listed, f"{number}: inputs citing it but not listed: {citing - listed}"
    gates = page.find("section", id="002").find_all("ul", class_="gates")
    assert {li.text().split(":")[0] for ul in gates for li in ul.find_all("li")} == {f"Gate {k}" for k in range(1, 7)}


def test_no_visible_text_shows_a_seed_number(client: TestClient) -> None:
    page = _page(client)
    text = _visible_text(page)
    assert not BARE.findall(text), [text[max(0, m.start() - 40) : m.end() + 40] for m in BARE.finditer(text)]
    assert {s.attrs["id"] for s in page.find_all("section", class_="source")} == set(BY_ID)


def _links(html: Markup) -> list[tuple[str, str]]:
    return [(a.attrs["href"], a.text()) for a in dom(str(html)).find_all("a")]


def test_cited_links_each_citation_to_its_article_by_title(client: TestClient) -> None:
    page = _page(client)
    title = {n: page.find("section", id=n).find("h2").text() for n in BY_ID}
    one = cited("Fix the prompt first (002).")
    assert isinstance(one, Markup)
    [(href, text)] = _links(one)
    assert href == "/sources#002" and text and text in title["002"]
    assert str(one) == f'Fix the prompt first (<a href="/sources#002">{escape(text)}</a>).'
    two = cited("(002; 003: four weeks of iteration)")
    assert [h for h, _ in _links(two)] == ["/sources#002", "/sources#003"]
    assert all(t in title[h[-3:]] for h, t in _links(two))
    assert dom(str(two)).text().endswith(": four weeks of iteration)")
    for text in ("002: 5-20 USD per label", "002's worked example", "Gate 2 (002, 003).", "(001: 2-10; 000: five)"):
        shown = cited(text)
        assert _links(shown) and not BARE.findall(dom(str(shown)).text()), text
    assert cited(cited("(002)")) == cited("(002)")  # linking twice changes nothing


def test_cited_escapes_and_leaves_other_numbers_alone() -> None:
    hostile = cited('<script>alert("002")</script> (004)')
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile
    assert [h for h, _ in _links(hostile)] == ["/sources#002", "/sources#004"]
    for text in ("1,000 labeled examples", "2026-12", "3,287.67 USD", "100,000 requests", "0.002 a token", "2026-002"):
        assert cited(text) == escape(text), text
    assert cited("") == Markup("")


def test_cited_is_a_template_filter_and_the_help_texts_show_no_seed_number() -> None:
    assert templates.env.filters["cited"] is cited
    for path, field in fields.all_fields().items():
        assert not BARE.findall(dom(str(cited(field.help))).text()), path
