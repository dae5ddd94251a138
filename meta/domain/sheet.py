"""A launch sheet: one campaign per row of a CSV file, the campaign-file fields as columns.

Spreadsheets are how agencies plan a launch, so ``python -m bot create --sheet launches.csv`` and
Slack's ``/campaign bulk`` take one exported as CSV. The header row names the columns, exactly the
fields of a campaign file (``meta.domain.spec.FILE_FIELDS``); a list field (``videos``,
``primary_texts``, ...) holds its items separated by ``|``, because commas already appear in
texts. An empty cell is a field left out, so a column only some rows need (``end_time``) is fine.

Rows are numbered as the spreadsheet shows them: the header is row 1, the first campaign row 2.
Every refusal names its row that way (``SheetProblem``), so a user finds it at a glance.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from meta.domain.spec import FILE_FIELDS

# The fields whose cell is a list: `|` separates the items.
LIST_FIELDS = ("videos", "images", "primary_texts", "headlines", "countries")
LIST_SEPARATOR = "|"
# A launch sheet is a plan for people to read; beyond this many rows it is a mistake (or an attack).
MAX_SHEET_ROWS = 500
MAX_SHEET_BYTES = 2 * 1024 * 1024
_DELIMITERS = (",", ";", "\t")  # Excel exports ";" where the decimal mark is a comma


@dataclass(frozen=True)
class SheetRow:
    """One campaign row: its number as the spreadsheet shows it, and its fields (cells given)."""

    number: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class SheetProblem:
    """Something wrong with the sheet itself (``row`` 1 is the header), before any row is checked."""

    row: int
    field: str
    message: str


class SheetError(ValueError):
    """The sheet cannot be read as rows of campaigns; ``problems`` says where and why."""

    def __init__(self, problems: list[SheetProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"row {p.row}, {p.field}: {p.message}" for p in problems))


def decode_sheet(data: bytes) -> str:
    """The sheet's text: UTF-8 (with or without the byte-order mark Excel writes)."""
    if len(data) > MAX_SHEET_BYTES:
        raise SheetError(
            [SheetProblem(1, "file", f"larger than {MAX_SHEET_BYTES // 1024 // 1024} MB")]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(
            [SheetProblem(1, "file", "not UTF-8 text; export the sheet as CSV UTF-8")]
        ) from None


def read_sheet(text: str) -> list[SheetRow]:
    """Every campaign row of the sheet, blank rows skipped (their numbers still count).

    Raises ``SheetError`` for a sheet that is not rows of campaigns at all: no header, a column
    that is not a campaign field (named with its letter), a column given twice, a row with more
    cells than the header, or no campaign row.
    """
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SheetError([SheetProblem(1, "header", _header_hint())])
    first = lines[0]
    delimiter = next((d for d in _DELIMITERS if d in first), ",")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise SheetError([SheetProblem(reader.line_num, "file", f"not valid CSV: {exc}")]) from None
    header = [cell.strip().lower() for cell in records[0]]
    problems: list[SheetProblem] = []
    seen: set[str] = set()
    for index, name in enumerate(header):
        column = f"column {_letter(index)}"
        if not name:
            problems.append(SheetProblem(1, column, "has no name in the header row"))
        elif name not in FILE_FIELDS:
            problems.append(
                SheetProblem(1, column, f"{name!r} is not a campaign field; {_header_hint()}")
            )
        elif name in seen:
            problems.append(SheetProblem(1, column, f"{name!r} is a column twice"))
        seen.add(name)
    if len(records) - 1 > MAX_SHEET_ROWS:
        problems.append(
            SheetProblem(1, "file", f"{len(records) - 1} rows; at most {MAX_SHEET_ROWS} per sheet")
        )
    if problems:
        raise SheetError(problems)
    rows: list[SheetRow] = []
    for number, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                SheetProblem(
                    number,
                    f"column {_letter(len(header))}",
                    f"{len(cells)} cells but the header names {len(header)} columns",
                )
            )
            continue
        fields: dict[str, Any] = {}
        for name, cell in zip(header, cells, strict=False):
            value = cell.strip()
            if not value:
                continue  # an empty cell is a field left out
            if name in LIST_FIELDS:
                fields[name] = [item.strip() for item in value.split(LIST_SEPARATOR)]
            else:
                fields[name] = value
        rows.append(SheetRow(number, fields))
    if problems:
        raise SheetError(problems)
    if not rows:
        raise SheetError([SheetProblem(2, "file", "no campaign rows under the header")])
    return rows


def _header_hint() -> str:
    return (
        "the first row names the columns, e.g. account,name,daily_budget,start_time,countries,"
        "videos,primary_text,headline,link,call_to_action (the fields of a campaign file)"
    )


def _letter(index: int) -> str:
    """A column's letter as spreadsheets show it: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
