"""django-import-export's view of a roster row: the columns of 001 附件3 mapped onto RosterRow.

The upload itself does not go through it: its checks are set-based (collective.rosters) and its
commit one COPY. The resource serves the admin's export of rows and is the row-by-row baseline
that bench/roster.py measures the upload against.
"""

from __future__ import annotations

from typing import Any

from import_export import fields, resources, widgets

from collective.models import RosterRow
from insured.models import InsuredPerson
from insured.rules import SUPPORT_TYPE_LABELS, SUPPORT_TYPE_OF_LABEL

SEX_OF_LABEL = {"男": "M", "女": "F"}


class LabelWidget(widgets.Widget):
    """A choice written as its Chinese label in the spreadsheet (男/女, 集体补助/社会资助)."""

    def __init__(self, of_label: dict[str, str]) -> None:
        super().__init__()
        self.of_label = of_label
        self.label_of = {v: k for k, v in of_label.items()}

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        return self.of_label.get(str(value or "").strip(), str(value or ""))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return self.label_of.get(value, value or "")


class RosterRowResource(resources.ModelResource):
    seq = fields.Field(attribute="seq", column_name="序号", widget=widgets.IntegerWidget())
    name = fields.Field(attribute="name", column_name="姓名")
    sex = fields.Field(attribute="sex", column_name="性别", widget=LabelWidget(SEX_OF_LABEL))
    person = fields.Field(
        attribute="person", column_name="公民身份号码", widget=widgets.ForeignKeyWidget(InsuredPerson, "id_no")
    )
    amount = fields.Field(attribute="amount", column_name="补助金（资助）金额", widget=widgets.DecimalWidget())
    kind = fields.Field(attribute="kind", column_name="补助或资助类型", widget=LabelWidget(SUPPORT_TYPE_OF_LABEL))

    def __init__(self, roster: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.roster = roster
        self.lines: dict[int, int] = {}

    class Meta:
        model = RosterRow
        fields = ("seq", "name", "sex", "person", "amount", "kind")
        import_id_fields = ("seq",)
        clean_model_instances = True

    def get_queryset(self):
        queryset = super().get_queryset().select_related("person")
        return queryset.filter(roster=self.roster) if self.roster is not None else queryset

    def import_instance(self, instance: RosterRow, row: Any, **kwargs: Any) -> None:
        super().import_instance(instance, row, **kwargs)
        instance.roster = self.roster
        instance.line = int(instance.seq) + 1  # under the template's header line

    def dehydrate_person(self, row: RosterRow) -> str:
        return row.person.id_no

    def dehydrate_kind(self, row: RosterRow) -> str:
        return SUPPORT_TYPE_LABELS.get(row.kind, row.kind)
