"""Writing tables to CSV, XLSX and ODS files, safely.

A file is always written to a temporary file in the target's folder, then renamed over the
target in one step (``os.replace``): an export that fails (full disk, cancelled, a value the
library refuses) or a target that cannot be replaced (Windows keeps a file open in Excel
locked) leaves the previous file as it was and no half-written file beside it.

- CSV: UTF-8 with a BOM and ``;`` separators, dates JJ/MM/AAAA and decimal commas: what
  French Excel opens by a double-click without the import wizard;
- XLSX: openpyxl in write-only mode (rows streamed to disk, memory flat at 100,000 rows), real
  dates and numbers with French formats, a bold frozen header row, column widths;
- ODS: odfpy (the OpenDocument library of Python, maintained), real date, float and
  percentage cells, column widths; it builds the document in memory (about 20 MB and 0.5 s of
  CPU per 1,000 rows), so ODS stops at ODS_MAX_ROWS rows with a message naming XLSX and CSV.
"""

from __future__ import annotations

import csv
import errno
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    ODS = "ods"

    @property
    def label(self) -> str:
        return FORMAT_LABELS[self]


FORMAT_LABELS = {
    ExportFormat.CSV: "CSV pour Excel (*.csv)",
    ExportFormat.XLSX: "Classeur Excel (*.xlsx)",
    ExportFormat.ODS: "Classeur OpenDocument (*.ods)",
}


class Kind(StrEnum):
    """What a column holds, so each format writes a real type, not text."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    PERCENT = "percent"
    DATE = "date"
    DATETIME = "datetime"
    #: Each value is a ``Typed`` carrying its own kind (a summary's « Valeur » column).
    MIXED = "mixed"


@dataclass(frozen=True)
class Typed:
    """A value of a MIXED column, with the kind it is written as."""

    value: Any
    kind: Kind


def unwrap(value: Any, kind: Kind) -> tuple[Any, Kind]:
    if isinstance(value, Typed):
        return value.value, value.kind
    return value, kind


@dataclass(frozen=True)
class TableColumn:
    title: str
    kind: Kind = Kind.TEXT
    #: Width in characters (XLSX, ODS).
    width: int = 14


@dataclass
class Table:
    """One sheet: a title (the sheet's name), its columns and its rows (an iterable, so a
    100,000-row table is never held whole); ``count`` sizes the progress bar."""

    title: str
    columns: Sequence[TableColumn]
    rows: Iterable[Sequence[Any]]
    count: int


class ExportError(Exception):
    """Why the file could not be written, in French; nothing was left half-written."""


class ExportCancelled(ExportError):
    def __init__(self) -> None:
        super().__init__("Export annulé : aucun fichier n'a été écrit.")


#: odfpy builds the whole document in memory (about 20 MB per 1,000 rows of the bannette):
#: beyond this, XLSX or CSV (both streamed) are the formats that fit in a PC's memory.
ODS_MAX_ROWS = 20_000

#: How often (rows) progress is reported and cancellation checked.
STEP = 500


def export_tables(
    tables: Sequence[Table],
    target: Path,
    fmt: ExportFormat,
    *,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> int:
    """Write ``tables`` to ``target`` in ``fmt``; returns the number of data rows written.

    Raises ExportError (French message) when the folder cannot be written or the target is
    locked, ExportCancelled when ``cancelled()`` turned true; in both cases the target is
    untouched and no temporary file remains."""
    total = sum(t.count for t in tables)
    if fmt is ExportFormat.ODS and total > ODS_MAX_ROWS:
        raise ExportError(
            f"{total} lignes : au-delà de {ODS_MAX_ROWS} lignes, le format ODS demanderait "
            "trop de mémoire à cet ordinateur. Choisissez le format XLSX (LibreOffice l'ouvre "
            "aussi) ou CSV, ou réduisez la vue avec les filtres. Rien n'a été écrit."
        )
    written = 0

    def advance(rows: int) -> None:
        nonlocal written
        written += rows
        if cancelled is not None and cancelled():
            raise ExportCancelled()
        if progress is not None:
            progress(written, total)

    with atomic_target(target) as temporary:
        _WRITERS[fmt](tables, temporary, advance)
    if progress is not None:
        progress(written, total)
    return written


@contextmanager
def atomic_target(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed over it when the block succeeds, removed
    when it fails: the target is either the old file or the whole new one, never a part."""
    target = Path(target)
    check_target(target)
    temporary = target.with_name(f".{target.stem}-{secrets.token_hex(4)}{target.suffix}.tmp")
    try:
        # os.open with 0o666 lets the user's umask decide, as for any file they save (a
        # NamedTemporaryFile would be private, 0600, and stay so once renamed).
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    except OSError as exc:
        raise ExportError(folder_message(target, exc)) from exc
    try:
        yield temporary
        if target.exists():
            shutil.copymode(target, temporary)  # a file replaced keeps its permissions
        try:
            os.replace(temporary, target)
        except PermissionError as exc:
            raise ExportError(locked_message(target)) from exc
    except OSError as exc:
        raise ExportError(folder_message(target, exc)) from exc
    finally:
        temporary.unlink(missing_ok=True)


def check_target(target: Path) -> None:
    """Fail early, before minutes of work, when the target cannot be written at all."""
    if not target.parent.is_dir():
        raise ExportError(f"Le dossier « {target.parent} » n'existe pas.")
    if target.is_dir():
        raise ExportError(f"« {target} » est un dossier : choisissez un nom de fichier.")
    if target.exists():
        try:
            with open(target, "r+b"):
                pass
        except PermissionError as exc:
            raise ExportError(locked_message(target)) from exc
        except OSError as exc:
            raise ExportError(folder_message(target, exc)) from exc


def locked_message(target: Path) -> str:
    return (
        f"Le fichier « {target.name} » ne peut pas être remplacé : il est sans doute ouvert "
        "dans Excel ou LibreOffice (ou en lecture seule). Fermez-le puis recommencez, ou "
        "choisissez un autre nom. Le fichier existant n'a pas été modifié."
    )


#: The usual reasons, in French (the system's own text is English on most PCs' Python).
_REASONS = {
    errno.EACCES: "accès refusé",
    errno.EPERM: "opération non permise",
    errno.EROFS: "dossier en lecture seule",
    errno.ENOSPC: "disque plein",
    errno.ENOENT: "dossier introuvable ou inaccessible",
    errno.EDQUOT: "quota du disque dépassé",
}


def folder_message(target: Path, exc: OSError) -> str:
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    return (
        f"Impossible d'écrire dans le dossier « {target.parent} » ({reason}). Choisissez un "
        "dossier où vous pouvez enregistrer (par exemple « Documents »). Rien n'a été écrit."
    )


def _counted(rows: Iterable[Sequence[Any]], advance: Callable[[int], None]) -> Iterator[Any]:
    """The rows, reporting progress (and letting a cancellation in) every STEP rows."""
    pending = 0
    for row in rows:
        yield row
        pending += 1
        if pending == STEP:
            advance(pending)
            pending = 0
    advance(pending)


# --------------------------------------------------------------------------- CSV


def french_number(value: float, decimals: int = 2) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _csv_text(value: Any, kind: Kind) -> str:
    value, kind = unwrap(value, kind)
    if value is None:
        return ""
    if kind is Kind.DATETIME and isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if kind in (Kind.DATE, Kind.DATETIME) and isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if kind is Kind.PERCENT:
        return french_number(float(value) * 100, 1) + " %"
    if kind is Kind.DECIMAL:
        return french_number(float(value))
    return str(value)


#: A cell starting with one of these is a formula to Excel: a citizen's subject such as
#: « =HYPERLINK(…) » must stay text (OWASP, « CSV injection »).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _write_csv(tables: Sequence[Table], path: Path, advance: Callable[[int], None]) -> None:
    """One table: header and rows. Several (the statistics): each under its title, a blank
    line between them, as a person would lay them out in one sheet."""
    with open(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        for number, table in enumerate(tables):
            if len(tables) > 1:
                if number:
                    writer.writerow([])
                writer.writerow([table.title])
            writer.writerow([c.title for c in table.columns])
            kinds = [c.kind for c in table.columns]
            for row in _counted(table.rows, advance):
                writer.writerow([_inert(_csv_text(v, k)) for v, k in zip(row, kinds, strict=True)])


# --------------------------------------------------------------------------- XLSX

_XLSX_FORMATS = {
    Kind.DATE: "DD/MM/YYYY",
    Kind.DATETIME: "DD/MM/YYYY HH:MM",
    Kind.DECIMAL: "0.00",
    Kind.PERCENT: "0.0%",
    Kind.INTEGER: "0",
}


def sheet_title(title: str, used: set[str]) -> str:
    """Sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Feuille"
    name, n = clean, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = clean[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _write_xlsx(tables: Sequence[Table], path: Path, advance: Callable[[int], None]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for table in tables:
        sheet = book.create_sheet(sheet_title(table.title, used))
        sheet.freeze_panes = "A2"
        for index, column in enumerate(table.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.title)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        # One styled template cell per typed column; plain values elsewhere (fastest path).
        formats = [_XLSX_FORMATS.get(c.kind) for c in table.columns]
        styled = [i for i, f in enumerate(formats) if f and table.columns[i].kind != Kind.INTEGER]
        mixed = [i for i, c in enumerate(table.columns) if c.kind is Kind.MIXED]
        texts = [i for i, c in enumerate(table.columns) if c.kind is Kind.TEXT]
        templates = {i: _formatted(sheet, None, formats[i]) for i in styled}
        for row in _counted(table.rows, advance):
            values: list[Any] = list(row)
            for i in texts:
                value = values[i]
                if isinstance(value, str) and value.startswith("="):
                    values[i] = _literal(sheet, value)  # openpyxl would write a formula
            for i in mixed:
                values[i], kind = unwrap(values[i], Kind.TEXT)
                if values[i] is not None and kind in _XLSX_FORMATS:
                    values[i] = _formatted(sheet, values[i], _XLSX_FORMATS[kind])
            for i in styled:
                if values[i] is not None:
                    # openpyxl writes each row as it is appended: one styled cell per column,
                    # given each row's value, spares 200,000 cells and their style lookups.
                    cell = templates[i]
                    cell.value = _naive(values[i])
                    values[i] = cell
            sheet.append(values)
    book.save(path)


def _literal(sheet: Any, text: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _formatted(sheet: Any, value: Any, number_format: str | None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=_naive(value))
    cell.number_format = number_format
    return cell


def _naive(value: Any) -> Any:
    """Spreadsheets have no time zones: the commune's wall time is what the reader expects."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    return value


# --------------------------------------------------------------------------- ODS


def _write_ods(tables: Sequence[Table], path: Path, advance: Callable[[int], None]) -> None:
    from odf import number as n
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableCellProperties, TableColumnProperties, TextProperties
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableRow
    from odf.table import TableColumn as OdsColumn
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    date_style = n.DateStyle(name="jj-mm-aaaa")
    for part in (n.Day(style="long"), n.Text(text="/"), n.Month(style="long"), n.Text(text="/"),
                 n.Year(style="long")):  # fmt: skip
        date_style.addElement(part)
    datetime_style = n.DateStyle(name="jj-mm-aaaa-hh-mm")
    for part in (n.Day(style="long"), n.Text(text="/"), n.Month(style="long"), n.Text(text="/"),
                 n.Year(style="long"), n.Text(text=" "), n.Hours(style="long"), n.Text(text=":"),
                 n.Minutes(style="long")):  # fmt: skip
        datetime_style.addElement(part)
    percent_style = n.PercentageStyle(name="pourcent")
    percent_style.addElement(n.Number(decimalplaces="1", minintegerdigits="1"))
    percent_style.addElement(n.Text(text=" %"))
    decimal_style = n.NumberStyle(name="decimal")
    decimal_style.addElement(n.Number(decimalplaces="2", minintegerdigits="1"))
    for style in (date_style, datetime_style, percent_style, decimal_style):
        doc.automaticstyles.addElement(style)

    def cell_style(name: str, data_style: str) -> Style:
        style = Style(name=name, family="table-cell", datastylename=data_style)
        doc.automaticstyles.addElement(style)
        return style

    cell_styles = {
        Kind.DATE: cell_style("c-date", "jj-mm-aaaa"),
        Kind.DATETIME: cell_style("c-datetime", "jj-mm-aaaa-hh-mm"),
        Kind.PERCENT: cell_style("c-percent", "pourcent"),
        Kind.DECIMAL: cell_style("c-decimal", "decimal"),
    }
    header_style = Style(name="c-header", family="table-cell")
    header_style.addElement(TextProperties(fontweight="bold"))
    header_style.addElement(TableCellProperties(backgroundcolor="#e8e8e8"))
    doc.automaticstyles.addElement(header_style)

    used: set[str] = set()
    for number, table in enumerate(tables):
        sheet = OdsTable(name=sheet_title(table.title, used))
        for index, column in enumerate(table.columns):
            style = Style(name=f"col-{number}-{index}", family="table-column")
            style.addElement(TableColumnProperties(columnwidth=f"{column.width * 0.21:.2f}cm"))
            doc.automaticstyles.addElement(style)
            sheet.addElement(OdsColumn(stylename=style))
        header = TableRow()
        for column in table.columns:
            cell = TableCell(valuetype="string", stylename=header_style)
            cell.addElement(P(text=column.title))
            header.addElement(cell)
        sheet.addElement(header)
        kinds = [c.kind for c in table.columns]
        for row in _counted(table.rows, advance):
            line = TableRow()
            for value, kind in zip(row, kinds, strict=True):
                line.addElement(_ods_cell(value, kind, cell_styles, TableCell, P))
            sheet.addElement(line)
        doc.spreadsheet.addElement(sheet)
    doc.save(str(path))


def _ods_cell(value: Any, kind: Kind, styles: dict[Kind, Any], cell: Any, paragraph: Any) -> Any:
    """A typed ODS cell: the value attribute for the spreadsheet, the text for the eye."""
    value, kind = unwrap(value, kind)
    if value is None or value == "":
        return cell()
    text = _csv_text(value, kind)
    if kind in (Kind.DATE, Kind.DATETIME) and isinstance(value, date):
        moment = _naive(value)
        iso = (
            moment.isoformat(timespec="seconds")
            if isinstance(moment, datetime)
            else (moment.isoformat())
        )
        made = cell(valuetype="date", datevalue=iso, stylename=styles[kind])
    elif kind is Kind.PERCENT:
        made = cell(valuetype="percentage", value=value, stylename=styles[kind])
    elif kind in (Kind.INTEGER, Kind.DECIMAL):
        made = (
            cell(valuetype="float", value=value, stylename=styles[kind])
            if kind is Kind.DECIMAL
            else cell(valuetype="float", value=value)
        )
    else:
        made = cell(valuetype="string")
    made.addElement(paragraph(text=text))
    return made


_WRITERS: dict[ExportFormat, Callable[[Sequence[Table], Path, Callable[[int], None]], None]] = {
    ExportFormat.CSV: _write_csv,
    ExportFormat.XLSX: _write_xlsx,
    ExportFormat.ODS: _write_ods,
}


def format_for(path: Path, default: ExportFormat = ExportFormat.XLSX) -> ExportFormat:
    """The format a file name asks for (its extension), else ``default``."""
    try:
        return ExportFormat(path.suffix.lower().lstrip("."))
    except ValueError:
        return default
