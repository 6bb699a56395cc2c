"""The spreadsheet a department sends each month: its list of members of the special groups
五类人员 (003 六(二): 乡村振兴 脱贫人口, 民政 低保对象 and 特困人员, 残联 重度残疾人 (一、二级),
卫健 计生两户). .xlsx or .csv (UTF-8, GB18030, UTF-16)."""

from __future__ import annotations

from insured.spreadsheets import Column, ColumnKind, Layout

# Above this many rows an upload is checked and stored by a background job with a progress bar.
SYNC_ROWS = 2000

GROUP_LIST = Layout(
    title="五类人员名单（部门提供，按月）",
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
            "group",
            "人员类别",
            aliases=("类别", "五类人员类别", "特殊群体类别", "人员类型"),
            width=14,
            choices=("脱贫人口", "低保对象", "特困人员", "重度残疾人", "计生两户"),
            example="低保对象",
        ),
        Column(
            "grade",
            "残疾等级",
            aliases=("等级",),
            required=False,
            width=10,
            choices=("一级", "二级"),
        ),
        Column(
            "department",
            "认定部门",
            aliases=("提供部门", "来源部门", "认定单位"),
            required=False,
            width=16,
            example="县民政局",
        ),
        Column("valid_from", "开始日期", ColumnKind.DATE, aliases=("认定日期", "纳入日期", "起始日期"), width=12),
        Column("valid_to", "结束日期", ColumnKind.DATE, aliases=("退出日期", "终止日期"), required=False, width=12),
    ),
    row_key="seq",
    max_rows=60_000,
    notes=(
        "每个部门每月一个文件，列出本县该部门认定的全部人员；身份证号一列设为文本格式。",
        "人员类别填写：脱贫人口、低保对象、特困人员、重度残疾人或计生两户；重度残疾人须填写残疾等级（一级或二级）。",
        "名单中不再出现的人员，其身份于上月末终止；同一个文件重复导入不做任何改动。",
    ),
)
