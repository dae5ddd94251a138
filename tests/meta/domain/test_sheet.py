"""Reading a launch sheet (``meta.domain.sheet``): rows numbered as the spreadsheet shows them,
lists split at ``|``, empty cells left out, and a sheet that is not rows of campaigns refused
with the row and column named."""

from __future__ import annotations

import pytest

from meta.domain.sheet import SheetError, decode_sheet, read_sheet


def test_rows_are_numbered_as_the_spreadsheet_shows_them_blank_rows_included():
    rows = read_sheet("account,name\nsg,First\n,\n\nsg,Second\n")
    assert [(r.number, r.fields["name"]) for r in rows] == [(2, "First"), (5, "Second")]


def test_list_fields_split_at_the_bar_and_empty_cells_are_left_out():
    text = 'name,videos,countries,end_time,primary_text\nA,a.mp4 | b.mp4,SG|MY,,"Hi, there"\n'
    (row,) = read_sheet(text)
    assert row.fields == {
        "name": "A",
        "videos": ["a.mp4", "b.mp4"],
        "countries": ["SG", "MY"],
        "primary_text": "Hi, there",  # a comma inside a quoted text stays text
    }


def test_excel_exports_read_as_well_byte_order_mark_and_semicolons():
    text = decode_sheet("\ufeffaccount;name;daily_budget\r\nsg;Launch;49,90\r\n".encode())
    (row,) = read_sheet(text)
    assert row.fields == {"account": "sg", "name": "Launch", "daily_budget": "49,90"}


def test_a_text_over_several_lines_is_one_row():
    rows = read_sheet('name,primary_text\nA,"line one\nline two"\nB,x\n')
    assert [(r.number, r.fields["name"]) for r in rows] == [(2, "A"), (3, "B")]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("", "row 1, header"),
        ("account,nmae\nsg,A\n", "row 1, column B: 'nmae' is not a campaign field"),
        ("name,name\nA,B\n", "row 1, column B: 'name' is a column twice"),
        ("name,\nA,\n", "row 1, column B: has no name"),
        ("name\nA,surplus\n", "row 2, column B: 2 cells but the header names 1 columns"),
        ("account,name\n", "row 2, file: no campaign rows"),
    ],
)
def test_a_sheet_that_is_not_rows_of_campaigns_names_the_row_and_column(text, where):
    with pytest.raises(SheetError) as caught:
        read_sheet(text)
    assert where in str(caught.value)


def test_a_file_that_is_not_utf8_is_refused_with_what_to_do():
    with pytest.raises(SheetError, match="export the sheet as CSV UTF-8"):
        decode_sheet("name\nCafé\n".encode("latin-1"))
