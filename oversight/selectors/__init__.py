"""Reads of oversight, shared by the pages, the API, the exports and the weekly report."""
