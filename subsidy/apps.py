from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidyConfig(AppConfig):
    name = "subsidy"
    verbose_name = _("Personal sponsorship")

    def ready(self) -> None:
        from insured import exports, plugins
        from insured.printing import batches
        from payments import handlers
        from subsidy import forms, lists, pdf, plugin, selectors, services

        plugins.register(plugin.PLUGIN)
        batches.register(
            batches.BatchKind(
                key="subsidy.applications",
                label=_("Sponsorship application forms"),
                capability=plugin.SPONSORSHIP_VIEW,
                filters=forms.ApplicationBatchForm,
                select=selectors.applications_to_print,
                sheet=pdf.batch_sheet,
                title=pdf.batch_title,
                describe=lambda a: f"{a.number}　{a.beneficiary.name}　{a.get_status_display()}",
                order=10,
            )
        )
        exports.register(lists.APPLICATIONS)
        handlers.register(
            services.SOURCE_TYPE, on_paid=services.on_receivables_paid, on_reopened=services.on_receivables_reopened
        )
