"""A small DOM over the stdlib html.parser, for the page tests: find elements by tag, class and
attributes, read their text, and what a browser would submit for a form. Checks structure, never greps."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def iter(self) -> Iterator[Node]:
        """This node and every node under it, in document order (a stack, not nested generators: the
        pages are deep, and a generator per level made each step cost the depth)."""
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed([c for c in node.children if isinstance(c, Node)]))

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def find_all(self, tag: str | None = None, class_: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (class_ is None or class_ in n.classes())
            and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, class_: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, class_, **attrs)
        assert found, f"no <{tag} class={class_} {attrs}>"
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def dom(text: str) -> Node:
    builder = _Builder()
    builder.feed(text)
    builder.close()
    return builder.root


def form_data(form: Node) -> dict[str, list[str]]:
    """What a browser submits for a form: hidden and text inputs, ticked boxes, chosen options."""
    data: dict[str, list[str]] = {}
    for n in form.iter():
        name = n.attrs.get("name")
        if not name or n.tag not in ("input", "select", "textarea"):
            continue
        if n.tag == "input" and n.attrs.get("type") == "checkbox" and "checked" not in n.attrs:
            continue
        if n.tag == "select":
            chosen = [o for o in n.find_all("option") if "selected" in o.attrs] or n.find_all("option")[:1]
            value = chosen[0].attrs.get("value", chosen[0].text()) if chosen else ""
        elif n.tag == "textarea":
            value = "".join(c for c in n.children if isinstance(c, str))
        else:
            value = n.attrs.get("value", "")
        data.setdefault(name, []).append(value)
    return data


def fetch(client: Any, url: str, status: int = 200) -> Node:
    """GET a page with a test client, check its status (showing the page when it is wrong), and parse it."""
    response = client.get(url)
    assert response.status_code == status, response.text[:2000]
    return dom(response.text)
