"""Load articles from files: decode, clean, extract visible text and metadata.

Handles .txt, .md, .html/.htm and .pdf. Every file either becomes a `Document`
or is skipped with a reason; one bad file never stops a batch. Deliberately left
out: OCR of scanned PDFs, and fetching anything from the network.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from rag.chunking import split_sentences
from rag.errors import DocumentError

TEXT_SUFFIXES = {".txt", ".md"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES
FileSignature = tuple[str, int, int]  # (path, size in bytes, modification time in ns)
SETTLED_NS = 2_000_000_000  # a file modified within this is read again next time

_MAGIC = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive (docx, xlsx…)",
    b"\x7fELF": "an executable",
}


@dataclass
class Skipped:
    path: str
    reason: str


@dataclass
class LoadReport:
    documents: list  # list[Document]
    skipped: list[Skipped] = field(default_factory=list)
    # document id → (path, size, mtime in ns) as found before reading, for files not
    # modified in the last seconds (a change within the clock's tick could go unseen)
    signatures: dict[str, FileSignature] = field(default_factory=dict)


# ---------------------------------------------------------------- decoding


def decode_bytes(data: bytes) -> str:
    """Bytes to text: BOMs first, then UTF-16 without BOM, UTF-8, then cp1252/Latin-1."""
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            raise DocumentError(f"this is {kind}, not text")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    sample = data[:4000]
    if 0 in sample:
        # ASCII-range text in UTF-16 has a NUL every other byte.
        zeros_odd = sample[1::2].count(0)
        zeros_even = sample[0::2].count(0)
        if max(zeros_odd, zeros_even) > 0.8 * (len(sample) // 2):
            return data.decode("utf-16-le" if zeros_odd > zeros_even else "utf-16-be", "replace")
        raise DocumentError("binary content (NUL bytes), not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_INVISIBLE_CATEGORIES = {"Cf", "Co", "Cs"}


def clean_text(text: str) -> str:
    """NFC, unified newlines, no invisible format/control characters.

    NFKC would keep zero-width and tag characters, so category Cf is stripped
    explicitly; they can hide instructions from a reader but not from a model.
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in _INVISIBLE_CATEGORIES or (cat == "Cc" and ch not in "\n\t"):
            continue
        kept.append(" " if ch == "\t" or ch == "\u00a0" else ch)
    text = "".join(kept)
    text = re.sub(r"[ ]{2,}", " ", text)
    text = re.sub(r"\n[ ]+|[ ]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def looks_like_text(text: str) -> bool:
    if not text.strip():
        return False
    letters = sum(ch.isalpha() for ch in text[:20000])
    return letters >= 0.3 * min(len(text), 20000)


# ---------------------------------------------------------------- HTML


class _VisibleText(HTMLParser):
    """Collects only what a browser would show: no script, style or hidden elements."""

    HIDDEN_TAGS = frozenset(
        {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
    )
    BLOCK_TAGS = frozenset(
        {
            "p",
            "div",
            "br",
            "li",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "tr",
            "section",
            "article",
            "header",
            "footer",
            "blockquote",
            "pre",
            "ul",
            "ol",
        }
    )
    VOID_TAGS = frozenset(
        {"br", "img", "hr", "meta", "link", "input", "wbr", "source", "area", "col"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden)
        self.title = ""
        self.meta: dict[str, str] = {}
        self._in_title = False

    @property
    def hidden(self) -> bool:
        return any(h for _, h in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("name") or a.get("property") or "").lower()
            if key and a.get("content"):
                self.meta[key] = a["content"]
            return
        if tag == "title":
            self._in_title = True
        style = a.get("style", "").replace(" ", "").lower()
        is_hidden = (
            tag in self.HIDDEN_TAGS
            or "hidden" in a
            or a.get("aria-hidden") == "true"
            or "display:none" in style
            or "visibility:hidden" in style
        )
        if tag in self.BLOCK_TAGS:
            self.parts.append("\n")
        if tag not in self.VOID_TAGS:
            self.stack.append((tag, is_hidden))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        if tag in self.BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> tuple[str, str, dict[str, str]]:
    """Visible text, <title>, and <meta> name→content of an HTML page."""
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    text = "\n".join(re.sub(r"\s+", " ", line).strip() for line in text.split("\n"))
    return text, parser.title.strip(), parser.meta


# ---------------------------------------------------------------- markup in plain text

# Text meant for machines, not readers, hidden in a .txt or .md article: a browser or a
# markdown viewer never shows it, so neither must the assistant read it.
# a comment hides everything up to its end; one never closed, the rest of its paragraph
_HTML_COMMENT = re.compile(r"<!--.*?-->|<!--[^\n]*(?:\n(?!\n)[^\n]*)*", re.S)
# attributes with a value, or one of HTML's flags: "<b and c>" in prose is not a tag
_ATTRIBUTES = (
    r"""(?:\s+[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s<>]+)"""
    r"|\s+(?:hidden|async|defer|controls|autoplay|open|disabled))*\s*/?"
)
_HIDDEN_BLOCK = re.compile(
    r"<(script|style|noscript|template|iframe|object|svg|head|title)\b[^>]*>.*?</\1\s*>",
    re.S | re.I,
)
_HIDDEN_ELEMENT = re.compile(
    r"<([a-z][\w-]*)\b[^>]*?(?:\bhidden\b|display\s*:\s*none|visibility\s*:\s*hidden"
    r"|aria-hidden\s*=\s*[\"']?true|font-size\s*:\s*0)[^>]*>.*?</\1\s*>",
    re.S | re.I,
)
_HTML_ELEMENTS = (
    "a|abbr|b|big|blockquote|body|br|button|center|cite|code|details|div|em|embed|figcaption"
    "|figure|font|form|h[1-6]|hr|html|i|iframe|img|input|link|li|mark|meta|noscript|object|ol"
    "|p|picture|pre|q|s|script|section|article|header|footer|small|source|span|strong|style"
    "|sub|summary|sup|svg|table|tbody|td|th|thead|tr|u|ul|video|audio|nav|main|aside"
)
_TAG = re.compile(rf"</?(?:{_HTML_ELEMENTS})\b{_ATTRIBUTES}>", re.I)
_FRONT_MATTER = re.compile(
    r"\A(---|\+\+\+)[ \t]*\n(.*?)\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", re.S
)
_FRONT_FIELD = re.compile(r"^\s*([\w-]+)\s*[:=]\s*[\"']?(.*?)[\"']?\s*$", re.M)
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_MD_LINK = re.compile(
    r"\[([^\]^][^\]]*)\]\(\s*(?:[^\s()]|\([^\s()]*\))*"
    r"(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_MD_DEFINITION = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:[ \t]*\S.*$", re.M)
# front-matter keys → the names an HTML page's <meta> would give them
_FRONT_KEYS = {
    "title": "og:title",
    "date": "article:published_time",
    "published": "article:published_time",
    "author": "author",
    "byline": "author",
    "source": "og:site_name",
    "outlet": "og:site_name",
    "publisher": "og:site_name",
}


def plain_text_visible(raw: str) -> tuple[str, dict[str, str]]:
    """What a reader of a .txt or .md article sees, and the metadata of its front matter.

    Dropped with their content: HTML comments, <script>/<style> and similar blocks,
    elements hidden by an attribute or a style, markdown images (their alt text is
    for machines), link targets and titles, link definitions (`[//]: # (...)` is
    markdown's comment), YAML/TOML front matter. Other HTML tags lose their markup and
    keep their text. Footnotes are shown to readers, so they stay (a planted one is
    caught sentence by sentence: `rag.text.planted`)."""
    meta: dict[str, str] = {}
    front = _FRONT_MATTER.match(raw)
    if front:
        for key, value in _FRONT_FIELD.findall(front.group(2)):
            name = _FRONT_KEYS.get(key.lower())
            if name and value and name not in meta:
                meta[name] = value
        raw = raw[front.end() :]
    for pattern in (_HTML_COMMENT, _HIDDEN_BLOCK, _HIDDEN_ELEMENT, _MD_IMAGE, _MD_DEFINITION):
        raw = pattern.sub(" ", raw)
    raw = _MD_LINK.sub(r"\1", raw)
    return _TAG.sub(" ", raw), meta


# ---------------------------------------------------------------- PDF


def pdf_to_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"unreadable or damaged PDF ({exc.__class__.__name__})") from exc
    except Exception as exc:  # pypdf raises many kinds on broken files
        raise DocumentError(f"unreadable or damaged PDF ({exc.__class__.__name__})") from exc
    text = "\n\n".join(pages)
    if not text.strip():
        raise DocumentError("PDF has no text layer (scanned image?); OCR is not supported")
    return text


# ---------------------------------------------------------------- metadata

_DATE_LINE = re.compile(r"\bdate\s*:?\s*(\d{4}-\d{2}(?:-\d{2})?)\b", re.IGNORECASE)
_ISO_DATE = re.compile(r"\b((?:19|20)\d{2}-[01]\d(?:-[0-3]\d)?)\b")
_DATELINE_OUTLET = re.compile(r"^[A-ZÀ-Ý/ .'-]{3,60}\(([A-Z][\w .&'-]{1,30})\)\s*[–—-]", re.M)
_BYLINE = re.compile(r"^(?:Par|By)\s+[A-ZÀ-Ý][^\n]{2,90}$", re.M)
_SENTENCE_END = re.compile(r"[.!?…»\"”:]$")


def extract_metadata(
    text: str, fallback_title: str
) -> tuple[str, str | None, str | None, str | None]:
    """Title, date, outlet and byline, from what the text itself says."""
    head = text[:600]
    date_match = _DATE_LINE.search(head) or _ISO_DATE.search(head)
    outlet_match = _DATELINE_OUTLET.search(head)
    byline_match = _BYLINE.search(head)
    title = ""
    for line in text.split("\n")[:8]:
        line = _DATE_LINE.sub("", line).strip().lstrip("#").strip()
        if (
            line
            and len(line) <= 120
            and len(line.split()) >= 3
            and not _SENTENCE_END.search(line)
            and not _BYLINE.match(line)
        ):
            title = line
            break
    if not title:  # first sentence of the first real paragraph, without the dateline
        body = _DATE_LINE.sub("", text)
        if byline_match:
            body = body.replace(byline_match.group(0), "", 1)
        paragraphs = [p.strip() for p in body.split("\n") if len(p.split()) >= 5]
        paragraph = paragraphs[0] if paragraphs else body.strip()
        first = next((paragraph[a:b] for a, b in split_sentences(paragraph)), paragraph)
        first = re.sub(r"^[A-ZÀ-Ý/ .'-]{3,60}\([^)]{1,30}\)\s*[–—-]\s*", "", first).strip()
        title = first if len(first) <= 100 else first[:97].rsplit(" ", 1)[0] + "…"
    return (
        title or fallback_title,
        date_match.group(1) if date_match else None,
        outlet_match.group(1).strip() if outlet_match else None,
        byline_match.group(0).strip() if byline_match else None,
    )


# ---------------------------------------------------------------- files


def read_document(path: Path, max_bytes: int, doc_id: str | None = None):
    """One file to a `Document`, or `DocumentError` saying why not."""
    from rag.types import Document

    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type '{suffix or '(none)'}'")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror}") from exc
    if size == 0:
        raise DocumentError("empty file")
    if size > max_bytes:
        raise DocumentError(
            f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB)"
        )
    meta: dict[str, str] = {}
    html_title = ""
    if suffix in PDF_SUFFIXES:
        raw = pdf_to_text(path)
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read: {exc.strerror}") from exc
        raw = decode_bytes(data)
        if suffix in HTML_SUFFIXES:
            raw, html_title, meta = html_to_text(raw)
        else:
            raw, meta = plain_text_visible(raw)
    text = clean_text(raw)
    if not text:
        raise DocumentError("no text (empty or whitespace only)")
    if not looks_like_text(text):
        raise DocumentError("does not look like prose (too few letters)")
    title, date, outlet, byline = extract_metadata(text, path.stem)
    title = clean_text(meta.get("og:title") or html_title or title) or path.stem
    date = meta.get("article:published_time", date or "")[:10] or date
    return Document(
        id=doc_id or path.name,
        path=str(path),
        title=title,
        date=date or None,
        outlet=meta.get("og:site_name") or outlet,
        byline=meta.get("author") or byline,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def iter_files(paths: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """Files under the given paths, sorted; symlinked folders are not followed (no loops)."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for root in paths:
        if not root.exists():
            skipped.append(Skipped(str(root), "no such file or folder"))
        elif root.is_file():
            files.append(root)
        else:
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if name.startswith(".") or name.lower() == "readme.md":
                        continue
                    path = Path(dirpath) / name
                    if path.suffix.lower() in SUPPORTED_SUFFIXES:
                        files.append(path)
                    else:
                        skipped.append(Skipped(str(path), f"unsupported file type '{path.suffix}'"))
    return files, skipped


def load_documents(
    paths: list[Path], max_bytes: int, known: Mapping[FileSignature, Any] | None = None
) -> LoadReport:
    """Every readable, distinct article under `paths`; the rest reported with a reason.

    `known` maps a file signature to the `Document` read from it before: a file whose
    path, size and modification time are unchanged is not read and cleaned again.
    """
    files, skipped = iter_files(paths)
    report = LoadReport(documents=[], skipped=skipped)
    by_hash: dict[str, str] = {}
    ids: set[str] = set()
    settled_before = time.time_ns() - SETTLED_NS
    for path in files:
        try:
            stat = path.stat()
            signature = (str(path), stat.st_size, stat.st_mtime_ns)
            doc = (known or {}).get(signature) or read_document(path, max_bytes)
        except DocumentError as exc:
            report.skipped.append(Skipped(str(path), str(exc)))
            continue
        except OSError as exc:
            report.skipped.append(Skipped(str(path), f"cannot read: {exc.strerror}"))
            continue
        if doc.sha256 in by_hash:
            report.skipped.append(Skipped(str(path), f"duplicate of {by_hash[doc.sha256]}"))
            continue
        if doc.id in ids:  # same file name in two folders, different text
            doc = read_document(
                path, max_bytes, doc_id=f"{path.stem}-{doc.sha256[:8]}{path.suffix}"
            )
        by_hash[doc.sha256] = doc.id
        ids.add(doc.id)
        report.documents.append(doc)
        if signature[2] < settled_before:
            report.signatures[doc.id] = signature
    return report
