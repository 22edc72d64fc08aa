"""The report's workbook, written as the rows go: each sheet's XML streamed into the
zip row by row, one string a row.

Why not XlsxWriter or openpyxl: both build each cell through several Python calls (a
cell object or a type check, a style lookup, an XML element writer), which put the
report's spreadsheet at 8–28 times the time of the CSV of the same rows (openpyxl's
write-only mode 18–27 times); a row written as one string is within 3 times. A report
workbook is always the same small shape — an About sheet and a sheet per section,
numbers with a format per column, a bold heading row frozen at the top left, column
widths — so the few parts of the file format it needs are written here, and read back
in the tests with openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape, quoteattr

# Characters XML 1.0 cannot hold at all (a school's name pasted from elsewhere).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _column_letter(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, rest = divmod(j - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_xml(value: str) -> str:
    return escape(_NOT_XML.sub("", value))


class Workbook:
    """Sheets written one after the other, each row as it comes.

    ``formats`` are the number formats (name: Excel format code) a column may use;
    a cell's style is ``"heading"``, ``"title"``, a format's name, or None."""

    def __init__(self, path_or_file, formats: dict[str, str]):
        self._zip = zipfile.ZipFile(path_or_file, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheets: list[str] = []
        # Styles: 0 plain, 1 bold heading, 2 title, then one per number format.
        self._style = {None: 0, "heading": 1, "title": 2}
        self._formats = list(formats.items())
        for i, (name, _) in enumerate(self._formats):
            self._style[name] = 3 + i

    def style(self, name: str | None) -> int:
        return self._style[name]

    def sheet(
        self,
        title: str,
        rows: Iterable[str],
        widths: Sequence[float] = (),
        freeze: bool = False,
    ) -> None:
        """A sheet of ``rows``, each the XML of one row's cells (``Row``). The title is
        made one Excel accepts: none of : \\ / ? * [ ], 31 characters at most."""
        title = re.sub(r"\s*[:\\/?*\[\]]", " -", title)[:31].strip(" '")
        title = title or f"Sheet {len(self._sheets) + 1}"
        self._sheets.append(title)
        n = len(self._sheets)
        with self._zip.open(f"xl/worksheets/sheet{n}.xml", "w") as out:
            head = [
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
                f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
                '<sheetViews><sheetView workbookViewId="0"',
                ' tabSelected="1">' if n == 1 else ">",
            ]
            if freeze:
                head.append(
                    '<pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" '
                    'state="frozen"/><selection pane="bottomRight" activeCell="B2" sqref="B2"/>'
                )
            head.append("</sheetView></sheetViews>")
            if widths:
                head.append("<cols>")
                head += [
                    f'<col min="{j}" max="{j}" width="{w:.2f}" customWidth="1"/>'
                    for j, w in enumerate(widths, start=1)
                ]
                head.append("</cols>")
            head.append("<sheetData>")
            out.write("".join(head).encode())
            chunk: list[str] = []
            for i, row in enumerate(rows, start=1):
                chunk.append(f'<row r="{i}">{row}</row>')
                if len(chunk) == 500:
                    out.write("".join(chunk).encode())
                    chunk = []
            chunk.append("</sheetData></worksheet>")
            out.write("".join(chunk).encode())

    def close(self) -> None:
        z, names = self._zip, self._sheets
        z.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, len(names) + 1))
            ),
        )
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(
                f'<sheet name={quoteattr(text_xml(name))} sheetId="{n}" r:id="rId{n}"/>'
                for n, name in enumerate(names, start=1)
            )
            + "</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(names) + 1)
        )
        styles_id = len(names) + 1
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{styles_id}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>",
        )
        z.writestr("xl/styles.xml", self._styles_xml())
        z.close()

    def _styles_xml(self) -> str:
        formats = "".join(
            f'<numFmt numFmtId="{164 + i}" formatCode={quoteattr(code)}/>'
            for i, (_, code) in enumerate(self._formats)
        )
        xfs = [
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>',
            '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>',
        ] + [
            f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" '
            'applyNumberFormat="1"/>'
            for i in range(len(self._formats))
        ]
        font = '<font>{}<sz val="{}"/><name val="Calibri"/><family val="2"/></font>'
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<styleSheet xmlns="{_MAIN}">'
            f'<numFmts count="{len(self._formats)}">{formats}</numFmts>'
            '<fonts count="3">'
            + font.format("", 11)
            + font.format("<b/>", 11)
            + font.format("<b/>", 14)
            + "</fonts>"
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


def string_cell(ref: str, value: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    return (
        f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text_xml(value)}</t></is></c>'
    )


def column_refs(count: int) -> list[str]:
    return [_column_letter(j) for j in range(count)]
