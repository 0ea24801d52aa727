"""HTML mail to readable text with the stdlib parser (no dependency, never raises).

Script, style, head and template content is dropped; block elements end lines, ``<br>`` breaks
them, list items start with "- ", entities are decoded, runs of spaces collapse. Blockquotes
(how Gmail, Apple Mail and Thunderbird quote a reply) come out "> "-prefixed, so the reply
splitter treats HTML and plain-text quotes alike.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_DROPPED = frozenset({"script", "style", "head", "title", "template", "noscript", "svg", "object"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "area", "base", "col"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "thead", "tfoot", "tr", "ul", "body", "html",
    }
)  # fmt: skip
_PARAGRAPHS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "ul", "ol", "pre", "hr"}
)
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_MAX_DEPTH = 64


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.dropped_depth = 0
        self.quote_depth = 0
        self.pre_depth = 0

    def _break(self, *, paragraph: bool = False) -> None:
        text = (
            _SPACES.sub(" ", "".join(self.current)).strip()
            if not self.pre_depth
            else "".join(self.current)
        )
        self.current = []
        if not text and (not paragraph or not self.lines or not self.lines[-1].strip("> ")):
            return  # a blank line only between paragraphs, never two
        prefix = "> " * min(self.quote_depth, _MAX_DEPTH)
        self.lines.append(prefix + text if text else prefix.rstrip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            if tag not in _VOID:
                self.dropped_depth += 1
            return
        if self.dropped_depth:
            return
        if tag == "br":
            self._break()
        elif tag in _BLOCKS:
            self._break(paragraph=tag in _PARAGRAPHS)
            if tag == "blockquote":
                self.quote_depth += 1
            elif tag == "li":
                self.current.append("- ")
            elif tag == "pre":
                self.pre_depth += 1
        elif tag in _CELLS:
            self.current.append(" ")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.current.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped_depth = max(0, self.dropped_depth - 1)
            return
        if self.dropped_depth:
            return
        if tag in _BLOCKS:
            self._break(paragraph=tag in _PARAGRAPHS)
            if tag == "blockquote":
                self.quote_depth = max(0, self.quote_depth - 1)
            elif tag == "pre":
                self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.dropped_depth:
            return
        if self.pre_depth:
            for i, piece in enumerate(data.split("\n")):
                if i:
                    self._break()
                self.current.append(piece)
        else:
            self.current.append(data.replace("\n", " "))


def html_to_text(html: str) -> str:
    """Readable text of an HTML document or fragment."""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
    except (AssertionError, ValueError, IndexError):  # html.parser on hostile markup
        pass
    collector._break()
    return "\n".join(collector.lines).strip("\n")
