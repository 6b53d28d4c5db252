"""HTML (a saved article page) -> the article's text and its metadata.

lxml (BSD) parses the page as browsers do. The article is the page's <article> (or <main>,
or the element holding the most paragraph text) without navigation, adverts, share buttons,
scripts and forms; its headings become sections. Title, author, outlet, date and address
come from the page's metadata (Open Graph, citation_*, Dublin Core, JSON-LD, <time>)."""
from __future__ import annotations

import json
import re
from datetime import datetime

from . import Extracted, Unreadable

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "form", "button",
              "nav", "aside", "select", "input", "textarea", "object", "embed", "canvas", "video",
              "audio", "map", "dialog")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog",
               "menu", "menubar", "toolbar", "alert"}
_BOILERPLATE_RE = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|advert\w*|sponsor\w*|promo\w*|banner|cookie\w*|newsletter|subscribe|"
    r"share|sharing|social|related|recommended|comments?|sidebar|menu|breadcrumbs?|nav\w*|"
    r"popup|modal|paywall|masthead|byline|dateline|site-header|site-footer|footer|toolbar|tags?)(?:$|[\s_-])",
    re.I)
_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dt", "dd",
               "figcaption", "table", "address", "caption"}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_MONTHS = "%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%B %Y", "%Y/%m/%d", "%d.%m.%Y"


def read(raw: bytes) -> Extracted:
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(raw)
    except (etree.ParserError, ValueError) as e:
        raise Unreadable(f"not an HTML page ({str(e)[:60] or 'empty'}) — skipped") from None
    meta = _metadata(root)
    for el in list(root.iter(*_DROP_TAGS)):
        _drop(el)
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None or el.tag in ("html", "body"):
            continue
        role = (el.get("role") or "").lower()
        hint = f"{el.get('class') or ''} {el.get('id') or ''}"
        if role in _DROP_ROLES or el.get("aria-hidden") == "true" or el.get("hidden") is not None \
                or (el.tag in ("div", "section", "ul", "footer", "header", "span", "p")
                    and _BOILERPLATE_RE.search(hint)):
            _drop(el)
    main = _main(root)
    blocks = _blocks(main)
    title = meta.get("title", "")
    if blocks and title and blocks[0].startswith("# ") and _same(blocks[0][2:], title):
        blocks = blocks[1:]  # the page's headline is the document's title
    if not blocks:
        raise Unreadable("no article text found in the page — skipped")
    return Extracted("\n\n".join(blocks) + "\n", meta)


def _drop(el) -> None:
    """Remove an element but keep the text that follows it (its tail)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = _CONTROL_RE.sub(" ", el.tail) if el.tail else None  # lxml refuses them in text
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = _CONTROL_RE.sub(" ", prev.tail or "") + tail
        else:
            parent.text = _CONTROL_RE.sub(" ", parent.text or "") + tail
    parent.remove(el)


def _same(a: str, b: str) -> bool:
    norm = lambda s: re.sub(r"\W+", "", s.casefold())  # noqa: E731
    return norm(a) == norm(b) or norm(b).startswith(norm(a)) and len(norm(a)) > 10


def _text(el) -> str:
    return " ".join(el.text_content().split())


def _main(root):
    for path in ("//article", "//main", "//*[@role='main']"):
        found = root.xpath(path)
        if found:
            return max(found, key=lambda e: len(_text(e)))
    # the element whose own paragraphs hold the most text
    best, score = None, 0
    for el in root.iter("div", "section", "td", "body"):
        s = sum(len(_text(p)) for p in el.findall("p"))
        if s > score:
            best, score = el, s
    body = root.find("body")
    return best if best is not None else (body if body is not None else root)


def _blocks(main) -> list[str]:
    out: list[str] = []
    for el in main.iter():
        if not isinstance(el.tag, str) or el.tag not in _BLOCK_TAGS:
            continue
        if any(a.tag in _BLOCK_TAGS for a in el.iterancestors() if a is not main and _within(a, main)):
            continue  # inside a block already taken whole
        if el.tag == "table":
            rows = [" | ".join(c for c in (_text(td) for td in tr.iter("td", "th")) if c)
                    for tr in el.iter("tr")]
            text = "\n".join(r for r in rows if r)
        else:
            text = _text(el)
        if not text:
            continue
        out.append(("# " + text) if el.tag in _HEADINGS else text)
    if not out:
        text = _text(main)
        if text:
            out.append(text)
    return out


def _within(a, main) -> bool:
    return any(x is main for x in a.iterancestors())


def _metadata(root) -> dict[str, str]:
    found: dict[str, list[str]] = {}
    for m in root.iter("meta"):
        key = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        value = " ".join((m.get("content") or "").split())
        if key and value:
            found.setdefault(key, []).append(value)
    for ld in root.xpath("//script[@type='application/ld+json']"):
        for item in _ld_items(ld.text or ""):
            for key, field in (("headline", "ld:title"), ("datePublished", "ld:date"),
                               ("url", "ld:url")):
                if isinstance(item.get(key), str):
                    found.setdefault(field, []).append(item[key])
            author = item.get("author")
            for a in author if isinstance(author, list) else [author]:
                name = a.get("name") if isinstance(a, dict) else a
                if isinstance(name, str) and name.strip():
                    found.setdefault("ld:author", []).append(name.strip())
            pub = item.get("publisher")
            if isinstance(pub, dict) and isinstance(pub.get("name"), str):
                found.setdefault("ld:publisher", []).append(pub["name"])

    def first(*keys: str) -> str:
        for k in keys:
            if found.get(k):
                return found[k][0]
        return ""

    title_el = root.find(".//title")
    page_title = " ".join((title_el.text_content() if title_el is not None else "").split())
    meta = {
        "title": first("citation_title", "og:title", "ld:title", "dc.title", "twitter:title")
                 or page_title,
        "author": ", ".join(dict.fromkeys(found.get("citation_author") or found.get("ld:author")
                                          or found.get("author") or found.get("article:author")
                                          or found.get("dc.creator") or [])),
        "source": first("og:site_name", "citation_journal_title", "ld:publisher",
                        "application-name", "dc.publisher"),
        "date": "",
        "url": "",
    }
    if not meta["author"]:
        a = root.xpath("//*[@rel='author' or contains(concat(' ', @class, ' '), ' author ')]")
        if a and 0 < len(_text(a[0])) <= 80:
            meta["author"] = re.sub(r"^by\s+", "", _text(a[0]), flags=re.I)
    raw_date = first("citation_publication_date", "citation_date", "article:published_time",
                     "ld:date", "dc.date", "dcterms.created", "date", "pubdate")
    if not raw_date:
        t = root.xpath("//time[@datetime]")
        raw_date = t[0].get("datetime") if t else ""
    meta["date"] = iso_date(raw_date)
    canonical = root.xpath("//link[@rel='canonical']/@href")
    meta["url"] = (canonical[0].strip() if canonical else "") or first("og:url", "ld:url")
    return {k: v for k, v in meta.items() if v}


def _ld_items(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    out = []
    for it in items:
        if isinstance(it, dict):
            out.append(it)
            out.extend(x for x in it.get("@graph", []) if isinstance(x, dict))
    return out


def iso_date(text: str) -> str:
    """YYYY[-MM[-DD]] from the ways pages and files write dates, or '' when none is found."""
    text = " ".join(str(text).split())
    m = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", text)
    if m:
        return "-".join(x for x in m.groups() if x)
    for fmt in _MONTHS:
        try:
            d = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return d.strftime("%Y-%m" if fmt == "%B %Y" else "%Y-%m-%d")
    return ""
