from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")

    def ready(self) -> None:
        from insured import plugins
        from insured.printing import batches
        from payments import handlers
        from refunds import forms, pdf, plugin, selectors, services

        plugins.register(plugin.PLUGIN)
        batches.register(
            batches.BatchKind(
                key="refunds.applications",
                label=_("Refund application forms"),
                capability=plugin.REFUND_VIEW,
                filters=forms.ApplicationBatchForm,
                select=selectors.applications_to_print,
                sheet=pdf.batch_sheet,
                title=pdf.batch_title,
                describe=lambda a: f"{a.number}　{a.person.name}　{a.get_status_display()}",
                order=30,
            )
        )
        # The money on live applications is held: no tax reversal takes back such an entry and no
        # one assigns such a waiting payment while it is being refunded.
        handlers.register_holds("refunds", entries=services.held_entries, notices=services.held_notices)
