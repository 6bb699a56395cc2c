"""The names payments gives its capabilities: a module of its own, below everything else of the
app, so that selectors name them without importing the plugin that imports them (plugin.py grants
them to roles)."""

PAYMENTS_VIEW = "payments.view"  # notice batches, receivables, the unmatched queue
PAYMENTS_ASSIGN = "payments.assign"  # propose a manual assignment of a waiting notice
PAYMENTS_CONFIRM = "payments.confirm"  # confirm or reject someone else's assignment
RECEIVABLES_EXPORT = "receivables.export"  # make the file of receivables for tax
RECONCILIATION_VIEW = "reconciliation.view"
BANK_STATEMENT_IMPORT = "reconciliation.bank_import"  # import the bank statement of the fund's income account
