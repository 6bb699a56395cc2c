"""Every write of oversight: the summary tables counted again, imports of extracts and department
lists, the record of exports, the weekly report. None of them touches the ledger."""
