"""What collection adds to the system (insured.plugins; registered in CollectionConfig.ready).

Notices 002 二 and 四, 003 二 and 六(三), 004: the special-group lists 五类人员 and the
government-paid contributions 政府代缴, back payments 补缴, the supplementary pension 补充养老保险
and the collection window.
"""

from __future__ import annotations

from insured.plugins import Plugin

PLUGIN = Plugin(app="collection")
