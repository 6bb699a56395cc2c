from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectiveConfig(AppConfig):
    name = "collective"
    verbose_name = _("Collective subsidy")

    def ready(self) -> None:
        from collective import forms, pdf, plugin, selectors, services
        from collective import jobs as collective_jobs
        from insured import jobs, plugins
        from insured.printing import batches
        from payments import handlers

        plugins.register(plugin.PLUGIN)
        batches.register(
            batches.BatchKind(
                key="collective.rosters",
                label=_("Roster forms"),
                capability=plugin.COLLECTIVE_VIEW,
                filters=forms.RosterBatchForm,
                select=selectors.rosters_to_print,
                sheet=pdf.batch_sheet,
                title=pdf.batch_title,
                describe=lambda r: f"{r.number}　{r.filing.payer_name}　{r.row_count}人　{r.get_status_display()}",
                order=20,
            )
        )
        handlers.register(
            services.ROW_SOURCE_TYPE,
            on_paid=services.on_receivables_paid,
            on_reopened=services.on_receivables_reopened,
        )
        for kind in collective_jobs.KINDS:
            jobs.register(kind)
