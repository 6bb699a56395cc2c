"""insured.spreadsheets: reading uploaded lists (xlsx and CSV in the encodings Chinese Excel and
WPS save), normalising cells, refusing formulas and numeric IDs, the error sheet and the template."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from insured.spreadsheets import (
    Column,
    ColumnKind,
    Layout,
    RowError,
    SpreadsheetError,
    error_sheet,
    read,
    safe_cell,
    template,
)
from tests.factories import make_id_no

ID1 = make_id_no(dt.date(1970, 5, 17), 11)
ID2 = make_id_no(dt.date(1981, 2, 3), 12)

LAYOUT = Layout(
    title="测试名单",
    columns=(
        Column("seq", "序号", ColumnKind.INTEGER, width=6),
        Column("name", "姓名", ColumnKind.NAME),
        Column("sex", "性别", ColumnKind.CHOICE, choices=("男", "女"), required=False),
        Column("id_no", "公民身份号码", ColumnKind.ID_NO, aliases=("身份证号码",)),
        Column("amount", "补助金（资助）金额", ColumnKind.AMOUNT, aliases=("补助金额",)),
        Column("kind", "补助或资助类型", choices=("集体补助", "社会资助")),
        Column("since", "开始日期", ColumnKind.DATE, required=False),
    ),
    row_key="seq",
    max_rows=50,
    max_bytes=200_000,
    notes=("测试说明",),
)
HEADER = ["序号", "姓名", "性别", "公民身份号码", "补助金（资助）金额", "补助或资助类型"]


def xlsx(rows: list[list], *, before: list[list] | None = None, text_ids: bool = True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in before or []:
        sheet.append(row)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    text = "\r\n".join(delimiter.join(str(c) for c in row) for row in rows) + "\r\n"
    return text.encode(encoding)


ROWS = [HEADER, [1, " 王秀兰 ", "女", ID1, "500", "集体补助"], [2, "李 建国", "男", ID2, 300.5, "社会资助"]]


def test_an_xlsx_with_a_title_above_the_header_is_read_and_normalised():
    data = xlsx(ROWS, before=[["内蒙古城乡居民基本养老保险补助/资助申报表"], []])

    sheet = read(data, "名单.xlsx", LAYOUT)

    assert sheet.format == "xlsx" and sheet.header_line == 3
    assert sheet.errors == []
    records = list(sheet.records())
    assert [(r, line) for r, line, _v in records] == [(1, 4), (2, 5)]
    first, second = records[0][2], records[1][2]
    assert first == {
        "seq": 1,
        "name": "王秀兰",
        "sex": "女",
        "id_no": ID1,
        "amount": Decimal("500"),
        "kind": "集体补助",
    }
    assert second["name"] == "李建国"  # a space between Chinese characters is a typo
    assert second["amount"] == Decimal("300.5")  # a float cell, read through its shortest repr
    assert sheet.dataset.headers == ["seq", "name", "sex", "id_no", "amount", "kind"]


def test_full_width_digits_letters_brackets_and_header_aliases_are_normalised():
    wide_id = "".join(chr(ord(c) + 0xFEE0) for c in ID1)  # what a Chinese input method types
    rows = [
        ["序　号", "姓 名", "公民身份号码", "补助金(资助)金额", " 补助或资助类型 "],
        ["１", "王秀兰", wide_id, "１，２００．００ 元", "集体补助"],
    ]

    sheet = read(csv_bytes(rows), "a.csv", LAYOUT)

    assert sheet.errors == []
    _row, _line, values = next(sheet.records())
    assert values["seq"] == 1 and values["id_no"] == ID1 and values["amount"] == Decimal("1200.00")


def test_the_alias_of_a_column_is_accepted():
    rows = [["序号", "姓名", "身份证号码", "补助金额", "补助或资助类型"], [1, "王", ID1, "10", "集体补助"]]

    sheet = read(csv_bytes(rows), "a.csv", LAYOUT)

    assert set(sheet.positions) == {"seq", "name", "id_no", "amount", "kind"}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_csv_in_every_encoding_excel_and_wps_save_is_read(encoding):
    delimiter = "\t" if encoding == "utf-16" else ","  # Excel's "Unicode text" is tab separated
    rows = [HEADER, [1, "王秀兰", "女", ID1, "500.00", "集体补助"]]

    sheet = read(csv_bytes(rows, encoding, delimiter), "a.csv", LAYOUT)

    assert sheet.encoding == encoding
    assert sheet.errors == []
    assert next(sheet.records())[2]["name"] == "王秀兰"


def test_gb18030_text_is_not_mistaken_for_utf8_nor_utf8_for_gb18030():
    rows = [HEADER, [1, "赵丽华", "女", ID1, "500.00", "社会资助"]]
    assert read(csv_bytes(rows, "utf-8"), "a.csv", LAYOUT).encoding == "utf-8"
    assert read(csv_bytes(rows, "gb18030"), "a.csv", LAYOUT).encoding == "gb18030"


def test_text_in_neither_encoding_is_refused_not_guessed():
    data = "序号,姓名\n1,王".encode("utf-16-le")  # no BOM: neither UTF-8 nor GB18030
    with pytest.raises(SpreadsheetError) as exc:
        read(data, "a.csv", LAYOUT)
    assert exc.value.code == "encoding_unknown"


def test_an_id_stored_as_a_number_is_refused_with_advice_to_format_the_column_as_text():
    rows = [
        HEADER,
        [1, "王秀兰", "女", int(ID1[:17] + "0"), "500", "集体补助"],
        [2, "李", "男", 2.1137e17, "5", "集体补助"],
    ]

    sheet = read(xlsx(rows), "a.xlsx", LAYOUT)

    assert [(e.row, e.line, e.column, e.code) for e in sheet.errors] == [
        (1, 2, "公民身份号码", "id_stored_as_number"),
        (2, 3, "公民身份号码", "id_stored_as_number"),
    ]


def test_an_id_shown_in_exponent_form_is_refused():
    rows = [HEADER, [1, "王秀兰", "女", "2.11370E+17", "500", "集体补助"]]

    sheet = read(csv_bytes(rows), "a.csv", LAYOUT)

    assert [e.code for e in sheet.errors] == ["id_exponent"]
    assert "2.11370E+17" in sheet.errors[0].message


def test_an_id_with_a_wrong_check_digit_is_refused_with_the_identity_code():
    wrong = ID1[:17] + ("0" if ID1[17] != "0" else "1")
    sheet = read(csv_bytes([HEADER, [1, "王", "女", wrong, "5", "集体补助"]]), "a.csv", LAYOUT)
    assert [e.code for e in sheet.errors] == ["id_checksum"]


def test_a_formula_is_refused_and_never_evaluated():
    rows = [HEADER, [1, "王秀兰", "女", ID1, "=200+300", "集体补助"]]

    sheet = read(xlsx(rows), "a.xlsx", LAYOUT)

    assert [(e.column, e.code) for e in sheet.errors] == [("补助金（资助）金额", "formula")]
    assert next(sheet.records())[2]["amount"] is None  # not 500


def test_a_formula_typed_into_a_csv_cell_is_refused():
    rows = [HEADER, [1, "=HYPERLINK(1)", "女", ID1, "500", "集体补助"]]
    sheet = read(csv_bytes(rows), "a.csv", LAYOUT)
    assert [(e.column, e.code) for e in sheet.errors] == [("姓名", "formula")]


def test_empty_required_cells_bad_numbers_and_choices_are_each_reported():
    rows = [HEADER, ["x", "", "未知", ID1, "五百", "集体补助"], [3, "王", "", ID2, "", ""]]

    sheet = read(csv_bytes(rows), "a.csv", LAYOUT)

    found = {(e.row, e.column, e.code) for e in sheet.errors}
    assert found == {
        (1, "序号", "integer_invalid"),  # no usable 序号: the row's position stands in
        (1, "姓名", "required"),
        (1, "性别", "choice_invalid"),
        (1, "补助金（资助）金额", "amount_invalid"),
        (3, "补助金（资助）金额", "required"),
        (3, "补助或资助类型", "required"),
    }


def test_blank_lines_and_a_total_line_are_skipped_and_lines_are_counted():
    rows = [HEADER, [1, "王", "女", ID1, "5", "集体补助"], ["", "", "", "", "", ""], ["合计", "", "", "", "5", ""]]
    rows.insert(2, [2, "李", "男", ID2, "5", "集体补助"])

    sheet = read(csv_bytes(rows), "a.csv", LAYOUT)

    assert sheet.lines == [2, 3]
    assert len(sheet) == 2


def test_dates_in_several_forms():
    layout_rows = [[*HEADER, "开始日期"], [1, "王", "女", ID1, "5", "集体补助", "2026年3月1日"]]
    layout_rows.append([2, "李", "男", ID2, "5", "集体补助", "2026/03/02"])
    sheet = read(csv_bytes(layout_rows), "a.csv", LAYOUT)
    assert [v["since"] for _r, _l, v in sheet.records()] == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"", "a.csv", "file_empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "a.xls", "xls_not_supported"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "a.png", "encoding_unknown"),
        (b"not a zip at all", "a.xlsx", "not_a_spreadsheet"),
        (b"PK\x03\x04garbage", "a.xlsx", "not_a_spreadsheet"),
        ("序号,姓名,公民身份号码,补助金额\n1,王,1,2\n".encode(), "a.csv", "column_missing"),
        ("名单\n说明\n".encode(), "a.csv", "header_missing"),
        (",".join(HEADER).encode(), "a.csv", "no_rows"),
        (b"x" * 200_001, "a.csv", "file_too_large"),
    ],
    ids=["empty", "xls", "binary", "text-named-xlsx", "bad-zip", "missing-column", "no-header", "no-rows", "too-big"],
)
def test_a_file_that_cannot_be_taken_is_refused_as_a_whole(data, filename, code):
    with pytest.raises(SpreadsheetError) as exc:
        read(data, filename, LAYOUT)
    assert exc.value.code == code
    assert exc.value.as_row_error().row is None


def test_the_missing_column_is_named():
    with pytest.raises(SpreadsheetError) as exc:
        read("序号,姓名,公民身份号码,补助金额\n1,王,1,2\n".encode(), "a.csv", LAYOUT)
    assert exc.value.column == "补助或资助类型"
    assert "补助或资助类型" in exc.value.message


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(SpreadsheetError) as exc:
        read(out.getvalue(), "a.docx", LAYOUT)
    assert exc.value.code == "not_a_spreadsheet"


def test_a_column_twice_is_refused():
    with pytest.raises(SpreadsheetError) as exc:
        read(csv_bytes([[*HEADER, "姓名"], [1, "王", "女", ID1, "5", "集体补助", "王"]]), "a.csv", LAYOUT)
    assert exc.value.code == "column_duplicate"


def test_more_rows_than_the_layout_allows_are_refused():
    rows = [HEADER] + [[n, "王", "女", ID1, "5", "集体补助"] for n in range(1, 52)]
    with pytest.raises(SpreadsheetError) as exc:
        read(csv_bytes(rows), "a.csv", LAYOUT)
    assert exc.value.code == "too_many_rows"


def test_the_error_sheet_of_a_workbook_is_the_same_file_with_an_error_column():
    rows = [HEADER, [1, "王秀兰", "女", ID1, "=1+1", "集体补助"], [2, "李", "男", ID2, "5", "集体补助"]]
    sheet = read(xlsx(rows, before=[["标题"]]), "申报表.xlsx", LAYOUT)
    extra = sheet.error(1, "name", "name_mismatch", "姓名与登记不符")

    result = error_sheet(sheet, [*sheet.errors, extra])

    assert result.filename.startswith("申报表_") and result.filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(result.content))
    out = book.worksheets[0]
    assert out.cell(row=2, column=7).value  # the error column's header, on the header line
    assert "补助金（资助）金额" in out.cell(row=3, column=7).value
    assert out.cell(row=3, column=5).value == "=1+1"  # kept as it was, still not evaluated
    assert out.cell(row=4, column=7).value == "姓名：姓名与登记不符"
    assert out.cell(row=4, column=2).fill.fgColor.rgb.endswith("FED7D7")
    assert out.cell(row=1, column=1).value == "标题"


def test_the_error_sheet_of_a_gb18030_csv_comes_back_in_gb18030():
    rows = [HEADER, [1, "王秀兰", "女", "2.11370E+17", "5", "集体补助"]]
    sheet = read(csv_bytes(rows, "gb18030"), "a.csv", LAYOUT)

    result = error_sheet(sheet, sheet.errors)

    text = result.content.decode("gb18030")
    lines = text.splitlines()
    assert lines[0].startswith("序号,姓名") and len(lines[0].split(",")) == 7
    assert "公民身份号码：" in lines[1]
    assert "gb18030" in result.content_type


def test_a_bom_csv_keeps_its_bom_in_the_error_sheet():
    sheet = read(csv_bytes([HEADER, [1, "王", "女", "x", "5", "集体补助"]], "utf-8-sig"), "a.csv", LAYOUT)
    assert error_sheet(sheet, sheet.errors).content.startswith(b"\xef\xbb\xbf")


def test_the_template_formats_the_id_column_as_text_and_offers_the_choices():
    content = template(LAYOUT, example_rows=[[1, "王秀兰", "女", ID1, "500.00", "集体补助"]])

    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:6] == HEADER
    assert sheet.column_dimensions["D"].number_format == "@"
    assert sheet["D2"].number_format == "@" and sheet["D500"].number_format == "@"
    assert sheet["E2"].number_format == "0.00"
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert '"集体补助,社会资助"' in formulas and '"男,女"' in formulas
    assert book.worksheets[1]["A2"].value == "测试说明"
    assert ID1 in [c.value for row in book.worksheets[1].iter_rows() for c in row]


def test_a_template_filled_in_as_text_reads_back_whole():
    book = openpyxl.load_workbook(io.BytesIO(template(LAYOUT)))
    sheet = book.worksheets[0]
    sheet.append([1, "王秀兰", "女", ID1, 500, "集体补助"])
    out = io.BytesIO()
    book.save(out)

    read_back = read(out.getvalue(), "t.xlsx", LAYOUT)

    assert read_back.errors == []
    assert next(read_back.records())[2]["id_no"] == ID1


def test_safe_cell_escapes_what_a_spreadsheet_would_run():
    assert safe_cell("=SUM(A1)") == "'=SUM(A1)"
    assert safe_cell("@cmd") == "'@cmd"
    assert safe_cell("王秀兰") == "王秀兰"
    assert safe_cell(Decimal("5")) == Decimal("5")


def test_row_errors_serialise_for_the_api():
    error = RowError(3, 5, "姓名", "name_mismatch", "不符")
    assert error.as_dict() == {"row": 3, "line": 5, "column": "姓名", "code": "name_mismatch", "message": "不符"}
