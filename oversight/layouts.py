"""The spreadsheets oversight reads (insured.spreadsheets): a township's household-registration extract
公安户籍数据 (003 六(二)(三): 公安部门负责提供全市最新户籍人口数据) and a department's list of
students or of persons in the employee pension scheme. Both .xlsx or .csv (UTF-8, GB18030, UTF-16)."""

from __future__ import annotations

from insured.spreadsheets import Column, ColumnKind, Layout
from oversight.models import ResidentRecord

# Above this many rows an upload is checked and stored by a background job with a progress bar.
SYNC_ROWS = 2000

Status = ResidentRecord.Status
# How police extracts name a resident's registration status.
STATUS_WORDS = {
    "正常": Status.NORMAL,
    "在册": Status.NORMAL,
    "户籍正常": Status.NORMAL,
    "迁出": Status.MOVED,
    "已迁出": Status.MOVED,
    "迁移": Status.MOVED,
    "户口迁出": Status.MOVED,
    "死亡": Status.DEAD,
    "已死亡": Status.DEAD,
    "死亡注销": Status.DEAD,
}

EXTRACT = Layout(
    title="公安户籍人口数据（乡镇）",
    columns=(
        Column("seq", "序号", ColumnKind.INTEGER, required=False, width=7, example=1),
        Column(
            "id_no",
            "公民身份号码",
            ColumnKind.ID_NO,
            aliases=("身份证号码", "身份证号", "证件号码"),
            width=22,
        ),
        Column("name", "姓名", ColumnKind.NAME, width=12, example="王秀兰"),
        Column(
            "village",
            "村（社区）",
            aliases=("村", "社区", "村居", "所在村", "村（居）委会", "户籍地村（社区）", "村社区"),
            width=16,
            example="南关村",
        ),
        Column(
            "household_no", "户号", ColumnKind.CODE, aliases=("户编号", "户口号"), width=14, example="21137010020001"
        ),
        Column(
            "status", "户籍状态", aliases=("人员状态", "状态"), width=10, choices=tuple(STATUS_WORDS), example="正常"
        ),
        Column("note", "备注", required=False, width=20),
    ),
    row_key="seq",
    max_rows=60_000,
    notes=(
        "每个乡镇（街道）一个文件，列出本乡镇全部户籍人口（含迁出、死亡人员），身份证号一列设为文本格式。",
        "村（社区）填写名称或 12 位统计用区划代码；户籍状态填写：正常、迁出或死亡。",
        "一次导入的文件替换该乡镇之前的户籍数据；同一个文件重复导入不做任何改动。",
    ),
)

DEPARTMENT_LIST = Layout(
    title="部门提供名单（在校学生／职工养老保险参保人员）",
    columns=(
        Column("seq", "序号", ColumnKind.INTEGER, required=False, width=7, example=1),
        Column(
            "id_no",
            "公民身份号码",
            ColumnKind.ID_NO,
            aliases=("身份证号码", "身份证号", "证件号码"),
            width=22,
        ),
        Column("name", "姓名", ColumnKind.NAME, width=12, example="王小明"),
        Column(
            "detail",
            "学校或单位",
            aliases=("学校", "就读学校", "单位", "工作单位", "参保单位", "单位名称"),
            required=False,
            width=30,
            example="演示县第一中学",
        ),
    ),
    row_key="seq",
    max_rows=60_000,
    notes=("一个文件替换本县同一种名单之前的版本；同一个文件重复导入不做任何改动。",),
)
