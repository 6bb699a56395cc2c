"""The names collection gives its capabilities and its receivables' source type: a module of its
own, below everything else of the app, so that services and selectors name them without importing
the plugin that imports them (plugin.py grants them to roles)."""

# Back payment 补缴 and the supplementary pension 补充养老保险 (003 六(三); 002 四(四); 004).
BACKPAY_VIEW = "backpay.view"
BACKPAY_ENTER = "backpay.enter"  # township office: enter and withdraw
BACKPAY_REVIEW = "backpay.review"  # county reviewer: approve or reject
BACKPAY_SOURCE_TYPE = "collection.backpay"  # its receivables; the source ref is "<application number>-<year>"

# Special-group lists 五类人员 and government-paid contributions 政府代缴 (002 二, 003 二).
GROUPS_VIEW = "collection.groups_view"  # the lists, their differences, the 台账, what is unpaid
GROUPS_IMPORT = "collection.groups_import"  # import a department's list; generate the receivables
