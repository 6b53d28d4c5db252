"""HTML (a saved article or a generated documentation page) -> its main text and metadata.

lxml (BSD) parses the page as browsers do. What is not text goes by general rules: scripts and
form controls, hidden elements, navigation landmarks (<nav>, ARIA roles, the page's own
<header> and <footer>), blocks that are mostly links (menus, tables of contents, breadcrumbs),
permalink signs, and short non-prose boxes named as chrome. The main text is the deepest
element holding nearly all the page's sentences; its paragraphs are <p>s, list items and the
loose text of any block (DocBook's <div class="para">); headings become sections, except in
a note or sidebar, whose heading is its label. Title, author, outlet, date and address come
from the page's metadata (Open Graph, citation_*, Dublin Core, JSON-LD, <time>)."""
from __future__ import annotations

import json
import re
from datetime import datetime

from . import Extracted, Unreadable

# never text a reader reads: code, styling, embedded objects, form controls (not forms: some
# sites wrap the whole page in one)
_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "button", "nav",
              "select", "input", "textarea", "option", "label", "object", "embed", "canvas",
              "video", "audio", "map", "dialog", "head")
_DROP_ROLES = {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog",
               "menu", "menubar", "toolbar", "tablist", "tree", "doc-toc"}
# The usual names of page chrome (any site's: ads, cookie notices, share buttons, bylines, site
# headers and footers, menus). They drop an element only when it is not prose (_prose): a
# DocBook sidebar or a note named so is content.
_CHROME_HINT_RE = re.compile(
    r"(?:^|[\s_-])(?:ad|ads|advert\w*|sponsor\w*|promo\w*|banner|cookie\w*|consent|newsletter|"
    r"subscribe|share|sharing|social|related|recommended|comments?|menu|breadcrumbs?|nav\w*|"
    r"popup|modal|paywall|masthead|byline|dateline|site-header|site-footer|footer|toolbar|tags?|"
    r"edit-?(?:this-?)?page|skip-?link)(?:$|[\s_-])",
    re.I)
# the kinds of inset box every generator names alike; a heading inside one is the box's label,
# not a section of the page (DocBook titles its notes and sidebars with <h3>)
_BOX_HINT_RE = re.compile(
    r"(?:^|[\s_-])(?:note|notice|tip|hint|warning|caution|important|attention|danger|error|"
    r"remark|admonition|sidebar|callout|aside|example|figure|info|todo|seealso)(?:$|[\s_-])", re.I)
_SECTIONING = {"article", "aside", "main", "nav", "section"}
_INLINE = {"a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em",
           "font", "i", "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike",
           "strong", "sub", "sup", "time", "tt", "u", "var", "wbr", "acronym", "math"}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_MONTHS = "%d %B %Y", "%B %d, %Y", "%d %b %Y", "%b %d, %Y", "%B %Y", "%Y/%m/%d", "%d.%m.%Y"
LINK_DENSE = 0.5  # a block at least this much link text is navigation: menus, TOCs, breadcrumbs
PROSE_BLOCK = 80  # characters: shorter blocks that are not a sentence (labels) do not place the main text
MAIN_SHARE = 0.95  # the main text is the deepest element holding this share of the prose
_ALNUM_RE = re.compile(r"\w")


# where a page says its encoding: a meta charset (or http-equiv content type), an XML declaration
_DECLARED_RE = re.compile(rb"<meta[^>]+charset|<\?xml[^>]+encoding", re.I)


def _parser_for(raw: bytes):
    """A parser reading UTF-8 for a page that says no encoding and is valid UTF-8 (a page
    saved or generated without its meta charset, read by lxml as Latin-1: 'â' for '—');
    None, lxml's own reading, otherwise."""
    if _DECLARED_RE.search(raw[:4096]) is not None:
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    import lxml.html

    return lxml.html.HTMLParser(encoding="utf-8")


def read(raw: bytes) -> Extracted:
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(raw, parser=_parser_for(raw))
    except (etree.ParserError, ValueError) as e:
        raise Unreadable(f"not an HTML page ({str(e)[:60] or 'empty'}) — skipped") from None
    meta = _metadata(root)
    strip_chrome(root)
    blocks = _blocks(_main(root))
    title = meta.get("title", "")
    if blocks and title and blocks[0].startswith("# ") and _same(blocks[0][2:], title):
        blocks = blocks[1:]  # the page's headline is the document's title
    if not blocks:
        raise Unreadable("no article text found in the page — skipped")
    return Extracted("\n\n".join(blocks) + "\n", meta)


def strip_chrome(root) -> None:
    """Remove what is not the page's text: code and controls, hidden elements, landmarks that
    are navigation, banners or footers, permalink signs, link-dense blocks (menus, tables of
    contents, breadcrumbs, related links) and short blocks named as chrome."""
    for el in list(root.iter(*_DROP_TAGS)):
        _drop(el)
    doomed = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body"):
            continue
        role = (el.get("role") or "").lower()
        style = (el.get("style") or "").replace(" ", "").lower()
        if role in _DROP_ROLES or el.get("hidden") is not None or "display:none" in style:
            doomed.append(el)
        elif el.tag in ("header", "footer") and not any(
                a.tag in _SECTIONING for a in el.iterancestors()):
            doomed.append(el)  # the page's banner or footer, not an article's
        elif el.tag == "a" and el.get("href", "").startswith("#") and not _ALNUM_RE.search(
                el.text_content()):
            doomed.append(el)  # a permalink sign (¶, #, §) beside a heading or caption
    _drop_all(doomed)
    # elements holding a paragraph of plain text (not links) are never dropped whole as a
    # menu, though a link-dense part of them may be (a layout table's menu cell beside the text)
    total, links, _, holds_prose = _stats(root)
    doomed = []
    for el in root.iter():  # top-down: a whole menu goes, not its items one by one
        if not isinstance(el.tag, str) or el.tag in _INLINE or el.tag in _HEADINGS \
                or el.tag in ("html", "body") or not total[el]:
            continue
        hint = f"{el.get('class') or ''} {el.get('id') or ''} {(el.get('role') or '')}"
        if links[el] >= LINK_DENSE * total[el] and links[el] >= 2 and el not in holds_prose:
            doomed.append(el)
        elif (_CHROME_HINT_RE.search(hint) or hint.strip() == "complementary") \
                and not _prose(total[el], links[el]):
            doomed.append(el)
    _drop_all(doomed)


def _stats(root) -> tuple[dict, dict, dict, set]:
    """In one bottom-up pass, per element: the visible characters of its text and of its link
    text; the characters of the sentences in it (blocks whose own text is a paragraph, or a
    sentence); and the set of elements holding a paragraph of plain (non-link) text."""
    total: dict = {}
    links: dict = {}
    prose: dict = {}
    plain: set = set()
    for el in reversed(list(root.iter())):  # descendants before their ancestors
        if not isinstance(el.tag, str):
            continue
        t, n, p, has = _chars(el.text), 0, 0, False
        for c in el:
            t += _chars(c.tail)
            if isinstance(c.tag, str):
                t, n, p = t + total[c], n + links[c], p + prose[c]
                has = has or c in plain
        if el.tag == "a" and el.get("href") is not None:
            n = t
        if el.tag not in _INLINE:
            own, own_plain = _own_text(el), _own_text(el, links=False)
            if len(own) >= PROSE_BLOCK or (len(own.split()) >= 5 and own[-1] in ".!?:"):
                p += len(own)
            has = has or len(own_plain) >= PROSE_BLOCK
        total[el], links[el], prose[el] = t, n, p
        if has:
            plain.add(el)
    return total, links, prose, plain


def _chars(text: str | None) -> int:
    return len("".join(text.split())) if text else 0


def _drop_all(els: list) -> None:
    """Drop elements, outermost first; those inside a dropped one go with it."""
    gone = set()
    for el in els:
        if any(a in gone for a in el.iterancestors()):
            continue
        gone.add(el)
        _drop(el)


def _prose(total: int, links: int) -> bool:
    """Prose, not chrome: mostly text of its own, in sentences long enough to be read."""
    return total - links >= 200 and links < 0.3 * total


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
    """The deepest element that holds nearly all of the page's prose (blocks long enough to be
    sentences): the article, a documentation page's body, or the whole body."""
    body = root.find("body")
    body = body if body is not None else root
    sizes = _stats(body)[2]
    total = sizes.get(body, 0)
    if not total:
        return body
    main = body
    while True:  # walk down while one child still holds enough
        nxt = next((c for c in main if isinstance(c.tag, str) and sizes.get(c, 0) >= MAIN_SHARE * total), None)
        if nxt is None:
            return main
        main = nxt


def _own_text(el, links: bool = True) -> str:
    """An element's text outside its block-level children (a paragraph's text, a div's loose
    text); links=False: without the text of its links."""
    parts = [el.text or ""]
    for c in el:
        if isinstance(c.tag, str) and c.tag in _INLINE and (links or c.tag != "a"):
            parts.append(c.text_content())
        parts.append(c.tail or "")
    return " ".join("".join(parts).split())


def _blocks(main) -> list[str]:
    """The element's text as Markdown-like blocks: headings, paragraphs (a <p>, or the loose text
    of a <div> or list item: DocBook's <div class="para">), tables by rows, field lists."""
    out: list[str] = []
    _walk(main, out)
    if not out:
        text = _text(main)
        if text:
            out.append(text)
    return out


def _walk(el, out: list[str]) -> None:
    buf: list[str] = [el.text or ""]

    def flush() -> None:
        text = " ".join("".join(buf).split())
        buf.clear()
        if text and _ALNUM_RE.search(text):
            out.append(text)

    for child in el:
        if not isinstance(child.tag, str):
            pass
        elif child.tag in _INLINE:
            buf.append(child.text_content())
        elif child.tag == "br":
            buf.append(" ")
        else:
            flush()
            _block(child, out)
        buf.append(child.tail or "")
    flush()


def _block(el, out: list[str]) -> None:
    tag = el.tag
    if tag in _HEADINGS:
        text = _text(el)
        if text:
            out.append(text if _in_box(el) else "# " + text)
    elif tag == "table" and not any(c.tag in ("p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3")
                                    for td in el.iter("td", "th") for c in td):
        rows = [" | ".join(c for c in (_text(td) for td in tr.iter("td", "th")) if c)
                for tr in el.iter("tr")]
        text = "\n".join(r for r in rows if r)
        if text:
            out.append(text)
    elif tag == "dl" and _fields(el):
        out.append("\n".join(f"{k}: {v}" for k, v in _fields(el)))
    elif tag == "pre":
        text = _text(el)
        if text:
            out.append(text)
    else:  # a container (div, section, li, blockquote, figure, layout table …): its blocks
        _walk(el, out)


def _in_box(heading) -> bool:
    """A heading inside a note, sidebar, figure or the like (up to a sectioning element)."""
    for a in heading.iterancestors():
        if a.tag in ("aside", "figure", "blockquote"):
            return True
        if a.tag in _SECTIONING or a.tag == "body":
            return False
        if _BOX_HINT_RE.search(f"{a.get('class') or ''} {a.get('title') or ''}"):
            return True
    return False


def _fields(dl) -> list[tuple[str, str]]:
    """A definition list of short names and short values (Sphinx's field list, a record's
    fields) as (name, value) pairs; [] for a glossary of longer definitions."""
    items = [c for c in dl if isinstance(c.tag, str)]
    if not items or len(items) % 2 or any(c.tag != ("dt" if i % 2 == 0 else "dd") for i, c in enumerate(items)):
        return []
    pairs = [(_text(items[i]).rstrip(":").strip(), _text(items[i + 1])) for i in range(0, len(items), 2)]
    if all(0 < len(k) <= 30 and 0 < len(v) <= 60 and v[-1:] not in ".!?" for k, v in pairs):
        return pairs
    return []


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
