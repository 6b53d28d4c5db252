"""A PDF passage seen on its page: the page rendered by PDFium, cropped around the passage with
a margin, the passage's lines under a translucent highlight, as a PNG.

The reader keeps, for each passage, the boxes of its lines (page, left, bottom, right, top in
PDF points; Chunk.boxes), so the page is rendered without reading the PDF's text again."""
from __future__ import annotations

import ctypes
import io
from dataclasses import dataclass
from pathlib import Path

from .errors import DocbotError

SCALE = 2.0  # pixels per PDF point (144 dpi): the text stays sharp on a phone
MARGIN = 24.0  # points of the page shown around the passage
HIGHLIGHT = (255, 214, 0, 80)  # translucent yellow: the text under it stays readable
GAP = 6  # pixels between the parts of a passage that runs onto the next page


class NoPageImage(DocbotError):
    """The passage cannot be shown as a page (not from a PDF, the file is gone or changed)."""


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width: int
    height: int
    # per page shown, top to bottom: (page, left, top, right, bottom) of the part shown, in
    # pixels of the whole page rendered at `scale` (as pdftoppm -r 72*scale renders it)
    parts: tuple[tuple[int, int, int, int, int], ...]
    scale: float

    @property
    def page(self) -> int:
        return self.parts[0][0]


def render_passage(pdf: Path | bytes, boxes, scale: float = SCALE,
                   margin: float = MARGIN) -> PageImage:
    """The passage whose lines are `boxes` ((page, left, bottom, right, top) in PDF points)
    on its page(s) of a PDF (a path or its bytes), as a PNG. Raises NoPageImage."""
    from PIL import Image

    if not boxes:
        raise NoPageImage("this passage is not from a PDF, so it has no page to show")
    by_page: dict[int, list] = {}
    for page, *box in boxes:
        by_page.setdefault(int(page), []).append(box)
    from .reading.pdf import _PDFIUM  # PDFium is not thread-safe

    with _PDFIUM:
        images, parts = _render(pdf, by_page, scale, margin)
    width = max(im.width for im in images)
    height = sum(im.height for im in images) + GAP * (len(images) - 1)
    sheet = Image.new("RGB", (width, height), (160, 160, 160))
    y = 0
    for im in images:
        sheet.paste(im, (0, y))
        y += im.height + GAP
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=False, compress_level=6)
    return PageImage(out.getvalue(), width, height, tuple(parts), scale)


def _render(pdf: Path | bytes, by_page: dict, scale: float, margin: float):
    import pypdfium2 as pdfium
    import pypdfium2.raw as R
    from PIL import Image, ImageDraw

    try:
        doc = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    except (pdfium.PdfiumError, OSError) as e:
        raise NoPageImage(f"cannot open the PDF ({e}); run docbot index again") from None
    images, parts = [], []
    try:
        for number, boxes in sorted(by_page.items()):
            if not 1 <= number <= len(doc):
                raise NoPageImage(f"the PDF has no page {number} any more; run docbot index again")
            page = doc[number - 1]
            try:
                bitmap = page.render(scale=scale, draw_annots=False)
                full = bitmap.to_pil().convert("RGBA")
                w, h = full.size
                rotation = page.get_rotation() // 90 % 4

                def device(x: float, y: float) -> tuple[float, float]:
                    dx, dy = ctypes.c_int(), ctypes.c_int()
                    R.FPDF_PageToDevice(page.raw, 0, 0, w, h, rotation, x, y,
                                        ctypes.byref(dx), ctypes.byref(dy))
                    return dx.value, dy.value

                rects = []
                for left, bottom, right, top in boxes:
                    (x0, y0), (x1, y1) = device(left, bottom), device(right, top)
                    rects.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
            finally:
                page.close()
            overlay = Image.new("RGBA", full.size, (0, 0, 0, 0))
            draw = ImageDraw.Draw(overlay)
            pad = 1 * scale
            for x0, y0, x1, y1 in rects:
                draw.rectangle((x0 - pad, y0 - pad, x1 + pad, y1 + pad), fill=HIGHLIGHT)
            full = Image.alpha_composite(full, overlay).convert("RGB")
            m = margin * scale
            left = int(max(0, min(r[0] for r in rects) - m))
            top = int(max(0, min(r[1] for r in rects) - m))
            right = int(min(w, max(r[2] for r in rects) + m))
            bottom = int(min(h, max(r[3] for r in rects) + m))
            if right <= left or bottom <= top:  # boxes off the page: show the whole page
                left, top, right, bottom = 0, 0, w, h
            images.append(full.crop((left, top, right, bottom)))
            parts.append((number, left, top, right, bottom))
    finally:
        doc.close()
    return images, parts
