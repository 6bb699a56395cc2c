"""Coverage 应保尽保 (003 二(一), 六(三)): the household-registration extract imported row by row and
whole, the departments' lists, the gap list and the reverse list on a known data set, the counts
per village with rates, the exports (IDs as text, whole or masked, recorded), and scope."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import openpyxl
import pytest
from django.urls import reverse

from insured.models import AccessRecord, InsuredPerson, Region, Role
from oversight.models import CoverageCount, CoverageExport, DepartmentList, HouseholdExtract, ResidentRecord
from oversight.selectors import coverage as selectors
from oversight.services import coverage as services
from tests.factories import InsuredPersonFactory, make_id_no, make_user, region_tree

pytestmark = pytest.mark.django_db

HEADER = "序号,公民身份号码,姓名,村（社区）,户号,户籍状态,备注\n"
ADULT = dt.date(1980, 6, 1)


def ids(*seqs: int, birth: dt.date = ADULT) -> list[str]:
    return [make_id_no(birth, s) for s in seqs]


@dataclass
class Coverage:
    tree: dict[str, Region]
    persons: dict[str, InsuredPerson]
    residents: dict[str, str]  # key -> ID number
    clerk: object

    @property
    def county(self) -> Region:
        return self.tree["county"]


def extract_csv(rows: list[tuple[str, str, str, str, str]]) -> bytes:
    lines = [HEADER] + [
        f"{n},{i},{name},{village},{household},{status},\n"
        for n, (i, name, village, household, status) in enumerate(rows, 1)
    ]
    return "".join(lines).encode("gb18030")


def list_csv(rows: list[tuple[str, str, str]]) -> bytes:
    text = "序号,公民身份号码,姓名,学校或单位\n" + "".join(
        f"{n},{i},{name},{detail}\n" for n, (i, name, detail) in enumerate(rows, 1)
    )
    return text.encode("gb18030")


@pytest.fixture
def cov(db) -> Coverage:
    """Township 1, village 1: A and H enrolled; B not enrolled (the gap); C a child; D a student; E in
    the employee scheme; F dead; G moved away. Village 2: I enrolled but dead, J enrolled but moved (to
    township 2, village 1, where its extract lists J); K's record is closed (the gap); L not enrolled
    (the gap). Township 2: J, and M not enrolled (the gap).

    Village 11: 8 residents, 3 should be enrolled, 2 are, gap 1. Village 12: 4 residents, 2 should be,
    0 are, gap 2, reverse 2. Township 1: 12, 5, 2 (40.0 %), gap 3, reverse 2."""
    tree = region_tree()
    clerk = make_user(Role.CLERK, tree["county"], last_name="李", first_name="晓梅")
    v11, v12 = tree["village11"].name, tree["village12"].name
    keys = "ABCDEFGHIJKLM"
    numbers = dict(zip(keys, ids(*range(101, 114)), strict=True))
    numbers["C"] = make_id_no(dt.date(2015, 3, 1), 103)
    persons = {
        "A": InsuredPersonFactory(village=tree["village11"], id_no=numbers["A"], name="甲"),
        "H": InsuredPersonFactory(village=tree["village11"], id_no=numbers["H"], name="辛"),
        "I": InsuredPersonFactory(village=tree["village12"], id_no=numbers["I"], name="壬"),
        "J": InsuredPersonFactory(village=tree["village12"], id_no=numbers["J"], name="癸"),
        "K": InsuredPersonFactory(village=tree["village12"], id_no=numbers["K"], name="子", status="closed"),
    }
    rows = [
        (numbers["A"], "甲", v11, "H001", "正常"),
        (numbers["B"], "@乙", v11, "H001", "正常"),
        (numbers["C"], "丙", v11, "H001", "正常"),
        (numbers["D"], "丁", v11, "H002", "正常"),
        (numbers["E"], "戊", v11, "H002", "在册"),
        (numbers["F"], "己", v11, "H003", "死亡"),
        (numbers["G"], "庚", v11, "H003", "迁出"),
        (numbers["H"], "辛", tree["village11"].code, "H004", "正常"),
        (numbers["I"], "壬", v12, "H005", "已死亡"),
        (numbers["J"], "癸", v12, "H006", "迁出"),
        (numbers["K"], "子", v12, "H007", "正常"),
        (numbers["L"], "丑", v12, "H008", "正常"),
    ]
    services.extract_import(
        township=tree["township1"],
        content=extract_csv(rows),
        filename="城关镇.csv",
        user=clerk,
        data_date=dt.date(2026, 9, 30),
    )
    t2 = [
        (numbers["J"], "癸", tree["village21"].name, "H101", "正常"),
        (numbers["M"], "寅", tree["village22"].name, "H102", "正常"),
    ]
    services.extract_import(
        township=tree["township2"],
        content=extract_csv(t2),
        filename="二镇.csv",
        user=clerk,
        data_date=dt.date(2026, 9, 30),
    )
    for kind, row in (
        ("student", (numbers["D"], "丁", "测试县第一中学")),
        ("employee_scheme", (numbers["E"], "戊", "测试公司")),
    ):
        services.department_list_import(
            county=tree["county"],
            kind=kind,
            department="县教育局" if kind == "student" else "县社保中心",
            content=list_csv([row]),
            filename=f"{kind}.csv",
            user=clerk,
            data_date=dt.date(2026, 9, 1),
        )
    return Coverage(tree, persons, numbers, clerk)


def test_counts_per_village_and_township(cov):
    counts = {c.village.code: c for c in CoverageCount.objects.select_related("village")}
    v11, v12 = counts[cov.tree["village11"].code], counts[cov.tree["village12"].code]
    assert (v11.residents, v11.eligible, v11.enrolled, v11.gap, v11.reverse) == (8, 3, 2, 1, 0)
    assert (v12.residents, v12.eligible, v12.enrolled, v12.gap, v12.reverse) == (4, 2, 0, 2, 2)
    county = selectors.coverage_counts(cov.county)
    one = county.lines[0]
    assert (one.residents, one.eligible, one.enrolled, one.gap, one.reverse) == (12, 5, 2, 3, 2)
    assert str(one.rate) == "40.0"
    # Township 2: J (enrolled, registered there now) and M (the gap).
    assert (county.total.eligible, county.total.enrolled, county.total.gap) == (7, 3, 4)


def test_the_gap_list(cov):
    found = [r.id_no for r in selectors.gap_records(cov.county, dt.date(2026, 12, 1))]
    r = cov.residents
    assert found == [r["B"], r["K"], r["L"], r["M"]]


def test_the_reverse_list_says_where_a_mover_is_now(cov):
    found = {p.name: p for p in selectors.reverse_records(cov.county)}
    assert set(found) == {"壬", "癸"}
    assert found["壬"].registration == "dead" and found["壬"].registered_now_in is None
    assert found["癸"].registration == "moved" and found["癸"].registered_now_in == cov.tree["village21"].name


def test_sixteen_on_the_day(cov):
    assert services.adult_born_by(dt.date(2026, 3, 1)) == dt.date(2010, 3, 1)
    assert services.adult_born_by(dt.date(2028, 2, 29)) == dt.date(2012, 2, 29)
    assert services.adult_born_by(dt.date(2116, 2, 29)) == dt.date(2100, 2, 28)  # 2100 is no leap year
    later = [r.name for r in selectors.gap_records(cov.county, dt.date(2031, 3, 1))]
    assert "丙" in later  # the child of 2015 is 16 by then


def test_enrolling_a_resident_closes_the_gap_at_the_next_count(cov):
    InsuredPersonFactory(village=cov.tree["village11"], id_no=cov.residents["B"])
    assert [r.name for r in selectors.gap_records(cov.tree["village11"], dt.date(2026, 12, 1))] == []
    services.coverage_refresh_everywhere()
    assert CoverageCount.objects.get(village=cov.tree["village11"]).enrolled == 3


def test_the_same_file_twice_changes_nothing_and_a_new_one_replaces(cov):
    first = HouseholdExtract.objects.get(township=cov.tree["township2"])
    t2 = [
        (cov.residents["J"], "癸", cov.tree["village21"].name, "H101", "正常"),
        (cov.residents["M"], "寅", cov.tree["village22"].name, "H102", "正常"),
    ]
    again = services.extract_import(
        township=cov.tree["township2"],
        content=extract_csv(t2),
        filename="again.csv",
        user=cov.clerk,
        data_date=dt.date(2026, 10, 1),
    )
    assert not again.created and again.extract == first
    newer = services.extract_import(
        township=cov.tree["township2"],
        content=extract_csv(t2[:1]),
        filename="new.csv",
        user=cov.clerk,
        data_date=dt.date(2026, 11, 1),
    )
    assert newer.created
    assert list(
        HouseholdExtract.objects.filter(township=cov.tree["township2"]).values_list("is_current", flat=True)
    ) == [True, False]
    assert cov.residents["M"] not in [r.id_no for r in selectors.gap_records(cov.county, dt.date(2026, 12, 1))]
    assert first.history.count() == 2  # made, then no longer current


def test_rows_with_errors_save_nothing(cov):
    good = cov.residents["L"]
    bad_id = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        (bad_id, "错号", cov.tree["village11"].name, "H1", "正常"),
        (good, "丑", "别村", "H2", "正常"),
        (cov.residents["A"], "甲", cov.tree["village11"].name, "H3", "失踪"),
        (cov.residents["A"], "甲", cov.tree["village11"].name, "H3", "正常"),
        (cov.residents["B"], "=1+2", cov.tree["village11"].name, "H4", "正常"),
    ]
    before = ResidentRecord.objects.count()
    with pytest.raises(services.ListInvalid) as refused:
        services.extract_import(
            township=cov.tree["township1"],
            content=extract_csv(rows),
            filename="bad.csv",
            user=cov.clerk,
            data_date=dt.date(2026, 10, 1),
        )
    codes = sorted(e.code for e in refused.value.errors)
    assert codes == ["formula", "id_checksum", "id_duplicate", "status_unknown", "village_unknown"]
    assert refused.value.error_sheet().content
    assert ResidentRecord.objects.count() == before and HouseholdExtract.objects.count() == 2


def test_an_id_stored_as_a_number_is_refused_in_a_workbook(cov):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["公民身份号码", "姓名", "村（社区）", "户号", "户籍状态"])
    sheet.append([int(cov.residents["L"][:17]), "丑", cov.tree["village12"].name, "H8", "正常"])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(services.ListInvalid) as refused:
        services.extract_import(
            township=cov.tree["township1"],
            content=out.getvalue(),
            filename="x.xlsx",
            user=cov.clerk,
            data_date=dt.date(2026, 10, 1),
        )
    assert [e.code for e in refused.value.errors] == ["id_stored_as_number"]


def test_a_department_list_replaces_the_earlier_of_its_kind(cov):
    newer = services.department_list_import(
        county=cov.county,
        kind="student",
        department="县教育局",
        content=list_csv([(cov.residents["L"], "丑", "测试县第二中学")]),
        filename="students-2.csv",
        user=cov.clerk,
        data_date=dt.date(2026, 10, 1),
    )
    assert newer.created
    assert DepartmentList.objects.filter(kind="student", is_current=True).get() == newer.department_list
    gap = [r.name for r in selectors.gap_records(cov.county, dt.date(2026, 12, 1))]
    assert "丁" in gap and "丑" not in gap  # D is no longer on the current list; L is


# --- Pages, exports, scope ---------------------------------------------------------------------------


def _workbook(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


def test_coverage_page_and_lists(client, cov):
    client.force_login(cov.clerk)
    page = client.get(reverse("oversight:coverage"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="coverage-lines"' in body and "40.0%" in body and "城关镇.csv" in body
    gap = client.get(reverse("oversight:gap-list"))
    names = [r.name for r in gap.context["page"]]
    assert names == ["@乙", "子", "丑", "寅"]
    assert cov.residents["B"] not in gap.content.decode()  # masked on screen
    rev = client.get(reverse("oversight:reverse-list"), {"region": cov.tree["township1"].code})
    assert {p.name for p in rev.context["page"]} == {"壬", "癸"}


def test_gap_export_with_whole_ids_is_text_escaped_and_recorded(client, cov):
    client.force_login(cov.clerk)
    response = client.get(reverse("oversight:list-export", args=["gap"]), {"ids": "full"})
    assert response.status_code == 200
    rows = _workbook(response)
    assert rows[1][7] == cov.residents["B"] and rows[1][4] == "'@乙"
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.cell(row=2, column=8).number_format == "@" and sheet.cell(row=2, column=8).data_type == "s"
    export = CoverageExport.objects.get()
    assert (export.kind, export.full_ids, export.row_count, export.user) == ("gap", True, 4, cov.clerk)
    assert set(export.records.values_list("id_no", flat=True)) == {cov.residents[k] for k in "BKLM"}


def test_an_auditor_exports_masked_only(client, cov):
    auditor = make_user(Role.AUDITOR, cov.county)
    client.force_login(auditor)
    assert client.get(reverse("oversight:list-export", args=["gap"]), {"ids": "full"}).status_code == 403
    rows = _workbook(client.get(reverse("oversight:list-export", args=["gap"])))
    assert rows[1][7] == cov.residents["B"][:6] + "********" + cov.residents["B"][-4:]
    assert CoverageExport.objects.get().full_ids is False


def test_reverse_export_goes_into_the_access_log(client, cov):
    client.force_login(cov.clerk)
    response = client.get(reverse("oversight:list-export", args=["reverse"]), {"ids": "full"})
    assert response.status_code == 200
    logged = set(AccessRecord.objects.filter(what="export").values_list("person_id", flat=True))
    assert logged == {cov.persons["I"].pk, cov.persons["J"].pk}


def test_a_village_sees_and_exports_its_village_only(client, cov):
    accountant = make_user(Role.VILLAGE_ACCOUNTANT, cov.tree["village12"])
    client.force_login(accountant)
    assert [r.name for r in client.get(reverse("oversight:gap-list")).context["page"]] == ["子", "丑"]
    rows = _workbook(client.get(reverse("oversight:list-export", args=["gap"]), {"ids": "full"}))
    assert [r[4] for r in rows[1:]] == ["子", "丑"]
    assert client.get(reverse("oversight:gap-list"), {"region": cov.tree["village11"].code}).status_code == 404
    assert client.get(reverse("oversight:coverage"), {"region": cov.county.code}).status_code == 404
    upload = io.BytesIO(b"x")
    upload.name = "x.csv"
    assert client.post(reverse("oversight:extract-upload"), {"file": upload}).status_code == 403


def test_a_township_imports_its_own_extract_only(client, cov):
    office = make_user(Role.TOWNSHIP_OFFICE, cov.tree["township2"])
    client.force_login(office)
    rows = [(cov.residents["M"], "寅", cov.tree["village22"].name, "H102", "正常")]
    own = io.BytesIO(extract_csv(rows))
    own.name = "二镇-10月.csv"
    response = client.post(
        reverse("oversight:extract-upload"),
        {"file": own, "township": cov.tree["township2"].code, "data_date": "2026-10-31"},
    )
    assert response.status_code == 302
    assert HouseholdExtract.objects.get(township=cov.tree["township2"], is_current=True).source_name == "二镇-10月.csv"
    other = io.BytesIO(extract_csv(rows))
    other.name = "一镇.csv"
    refused = client.post(
        reverse("oversight:extract-upload"),
        {"file": other, "township": cov.tree["township1"].code, "data_date": "2026-10-31"},
    )
    assert refused.status_code == 200 and "township" in refused.context["extract_form"].errors
    assert client.post(reverse("oversight:list-upload"), {}).status_code == 403


def test_the_upload_page_shows_row_errors(client, cov):
    client.force_login(cov.clerk)
    bad = io.BytesIO(extract_csv([(cov.residents["A"], "甲", "别村", "H1", "正常")]))
    bad.name = "bad.csv"
    response = client.post(
        reverse("oversight:extract-upload"),
        {"file": bad, "township": cov.tree["township1"].code, "data_date": "2026-10-31"},
    )
    assert response.status_code == 200 and response.context["error_count"] == 1
    assert 'id="error-sheet"' in response.content.decode()


def test_department_list_upload_by_the_county(client, cov):
    client.force_login(cov.clerk)
    upload = io.BytesIO(list_csv([(cov.residents["M"], "寅", "某公司")]))
    upload.name = "employees.csv"
    response = client.post(
        reverse("oversight:list-upload"),
        {"file": upload, "kind": "employee_scheme", "department": "县社保中心", "data_date": "2026-10-01"},
    )
    assert response.status_code == 302
    assert cov.residents["M"] not in [r.id_no for r in selectors.gap_records(cov.county, dt.date(2026, 12, 1))]


def test_templates_and_anonymous(client, cov):
    assert client.get(reverse("oversight:coverage")).status_code == 302
    client.force_login(cov.clerk)
    for which in ("extract", "list"):
        assert client.get(reverse("oversight:upload-template", args=[which])).content.startswith(b"PK")
    assert client.get(reverse("oversight:upload-template", args=["other"])).status_code == 404
    assert client.get(reverse("oversight:list-export", args=["other"])).status_code == 404


def test_another_county_sees_nothing_of_it(client, cov):
    other = region_tree("622901", "别县")
    client.force_login(make_user(Role.CLERK, other["county"]))
    assert list(client.get(reverse("oversight:gap-list")).context["page"]) == []
    assert client.get(reverse("oversight:gap-list"), {"region": cov.county.code}).status_code == 404


# --- Long files and long lists go to a background job ----------------------------------------------


def test_a_long_extract_is_imported_by_a_job(client, cov, monkeypatch, django_capture_on_commit_callbacks):
    from insured.models import Job
    from oversight import layouts

    monkeypatch.setattr(layouts, "SYNC_ROWS", 1)
    client.force_login(cov.clerk)
    rows = [
        (cov.residents["M"], "寅", cov.tree["village22"].name, "H102", "正常"),
        (cov.residents["J"], "癸", cov.tree["village21"].name, "H101", "正常"),
    ]
    upload = io.BytesIO(extract_csv(rows))
    upload.name = "二镇-后台.csv"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("oversight:extract-upload"),
            {"file": upload, "township": cov.tree["township2"].code, "data_date": "2026-10-31"},
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("insured:job-detail", args=[job.pk])
    job.refresh_from_db()
    assert job.state == "done", job.message
    assert HouseholdExtract.objects.get(township=cov.tree["township2"], is_current=True).source_name == "二镇-后台.csv"


def test_a_long_list_is_exported_by_a_job_and_recorded(client, cov, monkeypatch, django_capture_on_commit_callbacks):
    from insured.models import Job
    from oversight.views import coverage as views

    monkeypatch.setattr(views, "EXPORT_SYNC_ROWS", 1)
    client.force_login(cov.clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("oversight:list-export", args=["gap"]), {"ids": "full"})
    job = Job.objects.get()
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == "done" and job.result_name.endswith(".xlsx")
    download = client.get(reverse("insured:job-download", args=[job.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.cell(row=2, column=8).value == cov.residents["B"]
    assert CoverageExport.objects.get().row_count == 4


def test_the_counts_export_to_excel(client, cov):
    client.force_login(cov.clerk)
    response = client.get(reverse("oversight:coverage-export"))
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][:5] == (cov.tree["township1"].name, 12, 5, 2, 3) and rows[-1][0] == "合计"
