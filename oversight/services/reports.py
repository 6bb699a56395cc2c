def weekly_reports_make_all():
    return []
