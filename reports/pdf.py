"""The report's PDF, laid out and written here: a tagged PDF/UA-1 document of headings,
paragraphs, lists, bar charts and long tables with their headers repeated on each page.

Why not WeasyPrint, as the agenda pack: a county report's tables hold 5,000 cells and
WeasyPrint spends about a millisecond on each (the CSS cascade, a line box and a text
box per cell, a structure element per box), 4–6 s a report even with fixed table
layouts and a bare stylesheet, where the report's own figures take 0.03 s. The report
is a fixed shape (it is always the same few blocks), so it is laid out here in one
pass: each cell's text measured from the font's advance widths, wrapped, and drawn.

What keeps it accessible, as WeasyPrint's ``pdf/ua-1`` variant did: every text is
real text in an embedded TrueType font with its Unicode (a text layer); every piece of
content belongs to a structure element (H1, H2, H3, P, L/LI/Lbl/LBody, Table/THead/
TBody/TR/TH/TD with the header cells' scope) in reading order, or is an artifact (rules,
bars, the page footer and a table's header repeated on a later page); the document's
language, its title shown in the viewer's title bar, and the PDF/UA-1 identification
in its XMP metadata.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

MM = 72 / 25.4
PAGE_W, PAGE_H = 420 * MM, 297 * MM  # A3 landscape, as the HTML file prints
MARGIN = 12 * MM
WIDTH = min(PAGE_W - 2 * MARGIN, 1050.0)  # the HTML file's 1400 px at most
TOP, BOTTOM = PAGE_H - MARGIN, MARGIN + 14  # room for the footer

INK, GREY, RULE, PALE = (
    "0.043 0.047 0.047",
    "0.314 0.353 0.373",
    "0.694 0.706 0.714",
    "0.953 0.949 0.945",
)
BLUE, GREEN, RED = "0.114 0.439 0.722", "0.157 0.631 0.592", "0.831 0.208 0.110"
SERIES = (BLUE, GREEN)
LEADING = 1.15  # line height over font size (the fonts' own ascent + descent)


# ---------------------------------------------------------------- fonts


# Where fontconfig finds nothing (a machine without it), these are tried in turn:
# Liberation Sans has Arial's metrics, DejaVu Sans comes with fontconfig itself.
FALLBACK_FONTS = {
    False: (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
}
# Characters every report writes (so one subset of the font serves every document).
COMMON_CHARS = (
    "".join(chr(c) for c in range(0x20, 0x7F))
    + "".join(chr(c) for c in range(0xA0, 0x180))
    + "‘’“”–—−…•÷×€"
)


def _font_path(bold: bool) -> str:
    fc_match = shutil.which("fc-match")
    if fc_match:
        out = subprocess.run(  # noqa: S603 - a fixed command line, no outside input
            [fc_match, "-f", "%{file}", f"Arial:{'bold' if bold else 'regular'}"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if out.lower().endswith(".ttf") and Path(out).exists():
            return out
    for path in FALLBACK_FONTS[bold]:
        if Path(path).exists():
            return path
    raise RuntimeError("No TrueType sans-serif font found for the report's PDF.")


class Font:
    """A TrueType font: advance widths and glyph ids by character, and its subsets."""

    def __init__(self, path: str, bold: bool):
        from fontTools.ttLib import TTFont

        self.path, self.bold = path, bold
        tt = TTFont(path, lazy=True)
        self.upem = tt["head"].unitsPerEm
        hmtx = tt["hmtx"].metrics
        order = tt.getGlyphOrder()
        gid = {name: i for i, name in enumerate(order)}
        self.advance: dict[str, float] = {}
        self.hex: dict[str, str] = {}
        self.gid: dict[str, int] = {}
        for cp, name in tt.getBestCmap().items():
            ch = chr(cp)
            self.advance[ch] = hmtx[name][0] / self.upem
            self.gid[ch] = gid[name]
            self.hex[ch] = f"{gid[name]:04x}"
        self.missing = hmtx[order[0]][0] / self.upem
        self.glyph_widths = {gid[n]: m[0] for n, m in hmtx.items()}
        hhea, os2, head = tt["hhea"], tt["OS/2"], tt["head"]
        self.ascent = hhea.ascent * 1000 / self.upem
        self.descent = hhea.descent * 1000 / self.upem
        self.cap_height = getattr(os2, "sCapHeight", hhea.ascent) * 1000 / self.upem
        self.bbox = [
            int(v * 1000 / self.upem) for v in (head.xMin, head.yMin, head.xMax, head.yMax)
        ]
        self.italic_angle = tt["post"].italicAngle
        family = tt["name"].getDebugName(6) or Path(path).stem
        self.base_name = "".join(c for c in family if c.isalnum() or c in "-_")
        tt.close()

    def width(self, text: str, size: float) -> float:
        advance, missing = self.advance, self.missing
        return size * sum([advance.get(c, missing) for c in text])

    def encode(self, text: str) -> str:
        h = self.hex
        return "".join([h.get(c, "0000") for c in text])

    @lru_cache(maxsize=8)  # noqa: B019 - one Font per process (``fonts``), kept for its life
    def subset(self, chars: frozenset[str]) -> bytes:
        """The font cut down to ``chars`` with every glyph keeping its id (so the text's
        glyph ids need no remapping); built once per set of characters."""
        from fontTools import subset
        from fontTools.ttLib import TTFont

        options = subset.Options()
        options.retain_gids = True
        options.layout_features = []
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
        options.notdef_outline = True
        tt = TTFont(self.path)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(tt)
        out = io.BytesIO()
        tt.save(out)
        return out.getvalue()


@lru_cache(maxsize=1)
def fonts() -> tuple[Font, Font]:
    return Font(_font_path(False), False), Font(_font_path(True), True)


def warm_up() -> None:
    """Read the fonts and cut their usual subsets, as the first report would."""
    for font in fonts():
        font.subset(frozenset(COMMON_CHARS))


# ---------------------------------------------------------------- the structure tree


@dataclass(eq=False)
class Elem:
    """A structure element; leaves hold marked content as (page index, MCID)."""

    kind: str
    parent: Elem | None = None
    children: list[Elem] = field(default_factory=list)
    content: list[tuple[int, int]] = field(default_factory=list)
    attrs: str = ""
    num: int = 0

    def add(self, kind: str, attrs: str = "") -> Elem:
        child = Elem(kind, self, attrs=attrs)
        self.children.append(child)
        return child


class Page:
    def __init__(self, index: int):
        self.index = index
        self.ops: list[str] = []  # tagged content, in reading order
        self.art: list[str] = []  # artifacts: rules, bars, repeated headers
        self.mcids: list[Elem] = []  # the element each MCID belongs to


def _pdf_text(text: str) -> str:
    """A PDF text string (UTF-16BE when not plain ASCII)."""
    if text.isascii():
        return "(" + text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"
    return "<feff" + text.encode("utf-16-be").hex() + ">"


# ---------------------------------------------------------------- the writer


class Document:
    """Blocks laid out top to bottom on A3 landscape pages, each tagged as it is drawn."""

    def __init__(self, title: str, lang: str = "en"):
        self.title, self.lang = title, lang
        self.regular, self.bold = fonts()
        self.used: dict[bool, set[str]] = {False: set(), True: set()}
        self.root = Elem("Document")
        self.pages: list[Page] = []
        self.y = TOP
        self._new_page()

    # -- pages and drawing

    def _new_page(self) -> None:
        self.pages.append(Page(len(self.pages)))
        self.y = TOP

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` fits below the cursor."""
        if self.y - height < BOTTOM and self.y < TOP:
            self._new_page()

    def _text_op(self, text: str, x: float, y: float, size: float, bold: bool, color: str) -> str:
        font = self.bold if bold else self.regular
        self.used[bold].update(text)
        return (
            f"BT /F{2 if bold else 1} {size:g} Tf {color} rg 1 0 0 1 {x:.2f} {y:.2f} Tm "
            f"<{font.encode(text)}> Tj ET"
        )

    def tagged(self, elem: Elem, ops: list[str], kind: str | None = None) -> None:
        """Marked content of ``elem`` on the current page."""
        page = self.page
        mcid = len(page.mcids)
        page.mcids.append(elem)
        elem.content.append((page.index, mcid))
        page.ops.append(f"/{kind or elem.kind} <</MCID {mcid}>> BDC " + " ".join(ops) + " EMC")

    def rule(self, x: float, y: float, width: float, weight: float, color: str) -> None:
        self.page.art.append(
            f"{color} RG {weight:g} w {x:.2f} {y:.2f} m {x + width:.2f} {y:.2f} l S"
        )

    def box(self, x: float, y: float, width: float, height: float, color: str) -> None:
        self.page.art.append(f"{color} rg {x:.2f} {y:.2f} {width:.2f} {height:.2f} re f")

    # -- text

    def wrap(
        self, text: str, width: float, size: float, bold: bool = False, split: bool = True
    ) -> list[str]:
        """Lines of ``text`` within ``width``; a word wider than that is cut (``split``)
        or left to overflow into the cell's padding (a heading's word)."""
        font = self.bold if bold else self.regular
        if font.width(text, size) <= width:
            return [text]
        lines, line = [], ""
        for word in text.split(" "):
            candidate = f"{line} {word}" if line else word
            if font.width(candidate, size) <= width or not line:
                line = candidate
            else:
                lines.append(line)
                line = word
            while split and font.width(line, size) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and font.width(line[:cut], size) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
        return lines

    def lines_ops(
        self,
        lines: list[str],
        x: float,
        top: float,
        width: float,
        size: float,
        bold: bool = False,
        color: str = INK,
        right: bool = False,
    ) -> list[str]:
        font = self.bold if bold else self.regular
        ops, step = [], size * LEADING
        baseline = top - size * 0.905 - (step - size * 1.117) / 2
        for i, line in enumerate(lines):
            lx = x + width - font.width(line, size) if right else x
            ops.append(self._text_op(line, lx, baseline - i * step, size, bold, color))
        return ops

    def paragraph(
        self,
        text: str,
        kind: str = "P",
        size: float = 10,
        bold: bool = False,
        color: str = INK,
        before: float = 10,
        after: float = 10,
        keep: float = 0,
        parent: Elem | None = None,
        width: float = WIDTH,
    ) -> None:
        lines = self.wrap(text, width, size, bold)
        height = len(lines) * size * LEADING
        self.y -= before if self.y < TOP else 0
        self.room(height + keep)
        elem = (parent or self.root).add(kind)
        self.tagged(elem, self.lines_ops(lines, MARGIN, self.y, width, size, bold, color))
        self.y -= height + after

    def heading(self, text: str, level: int) -> None:
        size, before, after = {1: (18, 0, 4), 2: (13, 18, 10.8), 3: (11, 11, 11)}[level]
        self.paragraph(text, f"H{level}", size, True, before=before, after=after, keep=40)

    def bullets(self, items: Iterable[str], size: float = 10) -> None:
        lst = self.root.add("L")
        self.y -= 4
        for item in items:
            lines = self.wrap(item, WIDTH - 20, size)
            height = len(lines) * size * LEADING
            self.room(height)
            li = lst.add("LI")
            self.tagged(li.add("Lbl"), self.lines_ops(["•"], MARGIN + 6, self.y, 10, size))
            self.tagged(
                li.add("LBody"), self.lines_ops(lines, MARGIN + 20, self.y, WIDTH - 20, size)
            )
            self.y -= height + 3
        self.y -= 8

    def pairs(self, items: list[tuple[str, str]], size: float = 10) -> None:
        """Labels and values in two columns with a rule under each (the HTML's list)."""
        width = 0.6 * WIDTH
        label_w = 0.55 * width
        lst = self.root.add("L")
        self.y -= 6
        for label, value in items:
            left = self.wrap(label, label_w - 6, size, True)
            right = self.wrap(value, width - label_w, size)
            height = max(len(left), len(right)) * size * LEADING + 4
            self.room(height)
            li = lst.add("LI")
            top = self.y - 2
            self.tagged(li.add("Lbl"), self.lines_ops(left, MARGIN, top, label_w, size, True))
            body = li.add("LBody")
            self.tagged(body, self.lines_ops(right, MARGIN + label_w, top, width - label_w, size))
            self.y -= height
            self.rule(MARGIN, self.y, width, 0.75, RULE)
        self.y -= 6

    # -- tables

    def table(
        self,
        headers: list[tuple[str, bool]],
        widths: list[float],
        rows: Iterable[list[str]],
        size: float = 7.5,
        row_header: bool = True,
    ) -> None:
        """A table at fixed column widths (fractions of the page's width): headers bold
        at the bottom of their cells over a heavy rule, repeated (as an artifact) at the
        top of each later page; each row's first cell its header; figures right-aligned."""
        pad_x, pad_y = 4.0, 2.0
        xs, acc = [], MARGIN
        cols = [w * WIDTH for w in widths]
        for w in cols:
            xs.append(acc)
            acc += w
        step = size * LEADING
        head_lines = [
            self.wrap(label, w - 2 * pad_x, size, True, split=False)
            for (label, _), w in zip(headers, cols, strict=True)
        ]
        head_h = max(len(lines) for lines in head_lines) * step + 2 * pad_y
        table = self.root.add("Table")

        def draw_header(tag: bool) -> None:
            top = self.y
            tr = table.add("THead").add("TR") if tag else None
            for (_, numeric), lines, x, w in zip(headers, head_lines, xs, cols, strict=True):
                cell_top = top - head_h + pad_y + len(lines) * step
                ops = self.lines_ops(
                    lines, x + pad_x, cell_top, w - 2 * pad_x, size, True, INK, numeric
                )
                if tr is not None:
                    self.tagged(tr.add("TH", "/A << /O /Table /Scope /Column >>"), ops)
                else:
                    self.page.art.append(" ".join(ops))
            self.y -= head_h
            self.rule(MARGIN, self.y, WIDTH, 1.5, INK)

        self.room(head_h + 3 * step)
        draw_header(True)
        body = table.add("TBody")
        numeric = [n for _, n in headers]
        regular = self.regular
        for row in rows:
            wrapped = []
            for i, (text, w) in enumerate(zip(row, cols, strict=True)):
                inner = w - 2 * pad_x
                if numeric[i] or regular.width(text, size) <= inner:
                    wrapped.append([text])  # figures never wrap, as in the HTML file
                else:
                    wrapped.append(self.wrap(text, inner, size))
            height = max(len(lines) for lines in wrapped) * step + 2 * pad_y
            if self.y - height < BOTTOM:
                self._new_page()
                draw_header(False)
            tr = body.add("TR")
            top = self.y - pad_y
            for i, lines in enumerate(wrapped):
                kind = "TH" if i == 0 and row_header else "TD"
                attrs = "/A << /O /Table /Scope /Row >>" if kind == "TH" else ""
                ops = self.lines_ops(
                    lines,
                    xs[i] + pad_x,
                    top,
                    cols[i] - 2 * pad_x,
                    size,
                    kind == "TH",
                    INK,
                    numeric[i],
                )
                self.tagged(tr.add(kind, attrs), ops)
            self.y -= height
            self.rule(MARGIN, self.y, WIDTH, 0.75, RULE)
        self.y -= 6

    def chart(self, chart: dict) -> None:
        """The chart as a table: each unit's name, then per series its bar (an artifact)
        and its figure, which the screen reader reads."""
        size, pad_x, pad_y = 8.0, 4.0, 1.0
        series = chart["series"]
        total = (0.5 if len(series) == 1 else 0.75) * WIDTH
        name_w = 0.2 * total
        bar_w, value_w = 0.32 * total, 0.09 * total
        if len(series) == 1:  # the single series takes the rest of the narrower table
            bar_w = total - name_w - value_w
        step = size * LEADING
        table = self.root.add("Table")

        def header(tag: bool) -> None:
            tr = table.add("THead").add("TR") if tag else None
            top = self.y - pad_y
            cells = [("Name", MARGIN + pad_x, None)] + [
                (s, MARGIN + name_w + j * (bar_w + value_w) + pad_x, j)
                for j, s in enumerate(series)
            ]
            for label, x, j in cells:
                if j is not None:
                    self.box(x, top - step + 1.5, size, size, SERIES[j % 2])
                    x += size + 3
                ops = self.lines_ops([label], x, top, bar_w, size, True)
                if tr is not None:
                    self.tagged(tr.add("TH", "/A << /O /Table /Scope /Column >>"), ops)
                else:
                    self.page.art.append(" ".join(ops))
            self.y -= step + 2 * pad_y
            self.rule(MARGIN, self.y, total, 1.5, INK)

        self.room(3 * (step + 2 * pad_y))
        header(True)
        body = table.add("TBody")
        for row in chart["rows"]:
            lines = self.wrap(row["label"], name_w - 2 * pad_x, size, True)
            height = max(len(lines) * step, 9.0) + 2 * pad_y
            if self.y - height < BOTTOM:
                self._new_page()
                header(False)
            tr = body.add("TR")
            top = self.y - pad_y
            self.tagged(
                tr.add("TH", "/A << /O /Table /Scope /Row >>"),
                self.lines_ops(lines, MARGIN + pad_x, top, name_w - 2 * pad_x, size, True),
            )
            for j, c in enumerate(row["cells"]):
                x0 = MARGIN + name_w + j * (bar_w + value_w) + pad_x
                track = bar_w - 2 * pad_x
                bar_y = top - (height - 2 * pad_y) / 2 - 4
                if chart["diverging"]:
                    self.box(x0 + track * 0.498, bar_y - 0.5, track * 0.004 + 0.3, 9, INK)
                if c["width"]:
                    color = RED if c["negative"] else SERIES[c["series"] % 2]
                    self.box(x0 + track * c["x"] / 100, bar_y, track * c["width"] / 100, 8, color)
                ops = self.lines_ops(
                    [c["text"]], x0 + bar_w, top, value_w - 2 * pad_x, size, False, INK, True
                )
                self.tagged(tr.add("TD"), ops)
            self.y -= height
            self.rule(MARGIN, self.y, total, 0.75, PALE)
        self.y -= 6

    # -- the file

    def write(self, created: datetime | None = None) -> bytes:
        created = created or datetime.now(UTC)
        objects: list[bytes] = []

        def reserve() -> int:
            objects.append(b"")
            return len(objects)

        def put(num: int, body: str | bytes) -> None:
            objects[num - 1] = body.encode("latin-1") if isinstance(body, str) else body

        def stream(num: int, data: bytes, extra: str = "", compress: bool = True) -> None:
            if compress:
                data = zlib.compress(data, 6)
                extra += " /Filter /FlateDecode"
            put(num, f"<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream")

        catalog, pages_root, struct_root, parent_tree, info, metadata = (
            reserve() for _ in range(6)
        )
        total = len(self.pages)
        footer_size = 8
        footers = []  # drawn before the fonts are written: their characters are in them
        for page in self.pages:
            label = f"Page {page.index + 1} of {total}"
            fx = MARGIN + (PAGE_W - 2 * MARGIN) - self.regular.width(label, footer_size)
            footers.append(self._text_op(label, fx, MARGIN, footer_size, False, GREY))
        font_refs = [
            self._font_objects(font, bold, reserve, put, stream)
            for font, bold in ((self.regular, False), (self.bold, True))
        ]

        # Struct elements get numbers first: pages' ParentTree entries point at them.
        def number(elem: Elem) -> None:
            elem.num = reserve()
            for child in elem.children:
                number(child)

        number(self.root)
        page_nums = [reserve() for _ in self.pages]
        for page, num, footer in zip(self.pages, page_nums, footers, strict=True):
            content = (
                "/Artifact BMC "
                + " ".join(page.art)
                + " "
                + footer
                + " EMC\n"
                + "\n".join(page.ops)
            ).encode("latin-1")
            content_num = reserve()
            stream(content_num, content)
            put(
                num,
                f"<< /Type /Page /Parent {pages_root} 0 R /MediaBox [0 0 {PAGE_W:.2f} {PAGE_H:.2f}] "
                f"/Resources << /Font << /F1 {font_refs[0]} 0 R /F2 {font_refs[1]} 0 R >> >> "
                f"/Contents {content_num} 0 R /StructParents {page.index} /Tabs /S >>",
            )

        def write_elem(elem: Elem, parent_num: int) -> None:
            kids = [f"{c.num} 0 R" for c in elem.children]
            for page_index, mcid in elem.content:
                kids.append(f"<< /Type /MCR /Pg {page_nums[page_index]} 0 R /MCID {mcid} >>")
            put(
                elem.num,
                f"<< /Type /StructElem /S /{elem.kind} /P {parent_num} 0 R "
                f"{elem.attrs} /K [{' '.join(kids)}] >>",
            )
            for child in elem.children:
                write_elem(child, elem.num)

        write_elem(self.root, struct_root)
        nums = " ".join(
            f"{p.index} [{' '.join(f'{e.num} 0 R' for e in p.mcids)}]" for p in self.pages
        )
        put(parent_tree, f"<< /Nums [{nums}] >>")
        put(
            struct_root,
            f"<< /Type /StructTreeRoot /K [{self.root.num} 0 R] /ParentTree {parent_tree} 0 R "
            f"/ParentTreeNextKey {total} >>",
        )
        put(
            pages_root,
            f"<< /Type /Pages /Kids [{' '.join(f'{n} 0 R' for n in page_nums)}] /Count {total} >>",
        )
        stamp = created.strftime("D:%Y%m%d%H%M%SZ")
        put(
            info,
            f"<< /Title {_pdf_text(self.title)} /Producer (Inclusion Funding Portal) "
            f"/CreationDate ({stamp}) >>",
        )
        stream(metadata, self._xmp(created).encode(), " /Type /Metadata /Subtype /XML", False)
        put(
            catalog,
            f"<< /Type /Catalog /Pages {pages_root} 0 R /StructTreeRoot {struct_root} 0 R "
            f"/MarkInfo <</Marked true>> /Lang ({self.lang}) /Metadata {metadata} 0 R "
            "/ViewerPreferences << /DisplayDocTitle true >> >>",
        )

        return self._serialise(objects, catalog, info, stamp)

    @staticmethod
    def _serialise(objects: list[bytes], catalog: int, info: int, stamp: str) -> bytes:
        """The file: streams and the catalog as objects of their own, every other object
        (the thousands of structure elements) packed in compressed object streams, and
        a cross-reference stream to find them."""
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        where: dict[int, tuple[int, int, int]] = {}  # number: (type, field 2, field 3)

        def emit(num: int, body: bytes) -> None:
            where[num] = (1, out.tell(), 0)
            out.write(b"%d 0 obj\n" % num + body + b"\nendobj\n")

        packed = []
        for num, body in enumerate(objects, start=1):
            if num in (catalog, info) or body.endswith(b"endstream"):
                emit(num, body)
            else:
                packed.append((num, body))
        next_num = len(objects) + 1
        for start in range(0, len(packed), 500):
            chunk = packed[start : start + 500]
            offsets, parts, at = [], [], 0
            for index, (num, body) in enumerate(chunk):
                offsets.append(f"{num} {at}")
                parts.append(body)
                at += len(body) + 1
                where[num] = (2, next_num, index)
            head = " ".join(offsets).encode() + b"\n"
            data = zlib.compress(head + b"\n".join(parts) + b"\n", 6)
            emit(
                next_num,
                f"<< /Type /ObjStm /N {len(chunk)} /First {len(head)} /Length {len(data)} "
                "/Filter /FlateDecode >>\nstream\n".encode()
                + data
                + b"\nendstream",
            )
            next_num += 1
        xref_num = next_num
        where[xref_num] = (1, out.tell(), 0)
        rows = [b"\x00\x00\x00\x00\x00\xff\xff"] + [
            bytes([where[n][0]]) + where[n][1].to_bytes(4, "big") + where[n][2].to_bytes(2, "big")
            for n in range(1, xref_num + 1)
        ]
        data = zlib.compress(b"".join(rows), 6)
        ident = f"{zlib.crc32(stamp.encode() + bytes(len(objects))):08x}" * 4
        out.write(
            f"{xref_num} 0 obj\n<< /Type /XRef /Size {xref_num + 1} /W [1 4 2] "
            f"/Root {catalog} 0 R /Info {info} 0 R /ID [<{ident}> <{ident}>] "
            f"/Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode()
            + data
            + b"\nendstream\nendobj\n"
        )
        out.write(f"startxref\n{where[xref_num][1]}\n%%EOF\n".encode())
        return out.getvalue()

    def _font_objects(self, font: Font, bold: bool, reserve, put, stream) -> int:
        """A Type 0 font (Identity-H: the text is its glyph ids) with the font program
        embedded, its widths and its glyphs' Unicode (ToUnicode) for the text layer."""
        used = self.used[bold] | {" "}
        chars = (
            frozenset(COMMON_CHARS)
            if used <= frozenset(COMMON_CHARS)
            else frozenset(COMMON_CHARS) | used
        )
        program = font.subset(chars)
        type0, cid, descriptor, file_num, to_unicode = (reserve() for _ in range(5))
        name = f"{'ABCDEF' if not bold else 'ABCDEG'}+{font.base_name}"
        stream(file_num, program, f" /Length1 {len(program)}")
        flags = 32 + (262144 if bold else 0)
        put(
            descriptor,
            f"<< /Type /FontDescriptor /FontName /{name} /Flags {flags} "
            f"/FontBBox [{' '.join(map(str, font.bbox))}] /ItalicAngle {font.italic_angle:g} "
            f"/Ascent {font.ascent:.0f} /Descent {font.descent:.0f} /CapHeight {font.cap_height:.0f} "
            f"/StemV {120 if bold else 80} /FontFile2 {file_num} 0 R >>",
        )
        gids = sorted({font.gid[c] for c in used if c in font.gid})
        scale = 1000 / font.upem
        widths = " ".join(f"{g} [{font.glyph_widths.get(g, 0) * scale:.0f}]" for g in gids)
        put(
            cid,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /DW 0 /W [{widths}] /CIDToGIDMap /Identity >>",
        )
        by_gid = {}
        for c in sorted(used):
            if c in font.gid:
                by_gid.setdefault(font.gid[c], c)
        entries = [f"<{g:04x}> <{by_gid[g].encode('utf-16-be').hex()}>" for g in sorted(by_gid)]
        blocks = "\n".join(
            f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar"
            for chunk in (entries[i : i + 100] for i in range(0, len(entries), 100))
        )
        cmap = (
            "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
            "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
            "1 begincodespacerange <0000> <ffff> endcodespacerange\n"
            f"{blocks}\nendcmap CMapName currentdict /CMap defineresource pop end end"
        )
        stream(to_unicode, cmap.encode())
        put(
            type0,
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H "
            f"/DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>",
        )
        return type0

    def _xmp(self, created: datetime) -> str:
        title = xml_escape(self.title)
        stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" '
            'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" pdfuaid:part="1" '
            f'xmp:CreateDate="{stamp}" pdf:Producer="Inclusion Funding Portal">'
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
            f"<dc:language><rdf:Bag><rdf:li>{self.lang}</rdf:li></rdf:Bag></dc:language>"
            "</rdf:Description></rdf:RDF></x:xmpmeta>\n"
            '<?xpacket end="w"?>'
        )
