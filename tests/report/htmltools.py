"""Reading the reports back: links, visible text and the headline sentences, with a plain HTML parser."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

URL_ATTRIBUTES = {"src", "href", "action", "data", "poster", "srcset", "formaction", "xlink:href", "background"}


@dataclass
class Page:
    """What a page refers to and what a reader sees."""

    refs: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attribute, value)
    scripts: list[str] = field(default_factory=list)  # inline script bodies
    script_srcs: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    text: str = ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in: str | None = None
        self._buf: list[str] = []
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in URL_ATTRIBUTES and value is not None:
                self.page.refs.append((tag, name, value))
            if name == "src" and tag == "script" and value:
                self.page.script_srcs.append(value)
            if name == "style" and value:
                self.page.styles.append(value)
        if tag in ("script", "style"):
            self._in, self._buf = tag, []

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            body = "".join(self._buf)
            (self.page.scripts if tag == "script" else self.page.styles).append(body)
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._buf.append(data)
        else:
            self._text.append(data)


def parse(source: str) -> Page:
    p = _Parser()
    p.feed(source)
    p.close()
    p.page.text = " ".join(" ".join(p._text).split())
    return p.page


@dataclass(frozen=True)
class Sentence:
    status: str
    variant: str
    text: str  # plain text, entities resolved


_ANSWER = re.compile(r'<div class="answer (\w+)" data-variant="([^"]+)">.*?<p class="sentence">(.*?)</p>', re.S)


def sentences(source: str) -> list[Sentence]:
    """The answer sentences of a report page, in order."""
    return [Sentence(s, html.unescape(v), html.unescape(re.sub(r"<[^>]+>", "", text)))
            for s, v, text in _ANSWER.findall(source)]


def to_float(s: str, lang: str) -> float:
    """'+1.234,5' (de) / '+1,234.5' (en) / '−3' → float."""
    s = s.replace("−", "-").replace("\u2009", "").strip()
    s = s.replace(".", "").replace(",", ".") if lang == "de" else s.replace(",", "")
    return float(s)


NUM = r"[+−]?[\d.,]*\d"
HEADLINE = {
    "en": re.compile(rf"(?P<value>{NUM}) % of flagged comments were withdrawn or changed, against "
                     rf"(?P<control>{NUM}) % without a prompt: (?P<diff>{NUM}) points "
                     rf"\(95 % CI (?P<low>{NUM}) to (?P<high>{NUM})\)\."),
    "de": re.compile(rf"wurden (?P<value>{NUM}) % der beanstandeten Kommentare zurückgezogen oder geändert, "
                     rf"ohne Hinweis (?P<control>{NUM}) %: (?P<diff>{NUM}) Prozentpunkte "
                     rf"\(95-%-KI (?P<low>{NUM}) bis (?P<high>{NUM})\)\."),
}
TOXIC = {
    "en": re.compile(rf"(?:posted (?P<abs>{NUM}) % (?P<dir>fewer|more) toxic comments|"
                     rf"Toxic comments per person: (?P<rel>{NUM}) % against control)"),
    "de": re.compile(rf"(?:veröffentlichten (?P<abs>{NUM}) % (?P<dir>weniger|mehr) toxische Kommentare|"
                     rf"Toxische Kommentare je Person: (?P<rel>{NUM}) % gegenüber)"),
}
