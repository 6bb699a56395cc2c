"""The names subsidy gives its capabilities and its receivables' source type: a module of its own,
below everything else of the app, so that services name them without importing the plugin that
imports them (plugin.py grants them to roles)."""

SPONSORSHIP_VIEW = "sponsorship.view"
SPONSORSHIP_ENTER = "sponsorship.enter"  # take the application at the window, print, record signatures
SPONSORSHIP_REVIEW = "sponsorship.review"  # approve or reject (never one's own)
SOURCE_TYPE = "subsidy.sponsorship"  # the source type of its receivables; their source ref is the application number
