from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = _("Collection")

    def ready(self) -> None:
        from collection import plugin
        from insured import plugins

        plugins.register(plugin.PLUGIN)
        self._ready_backpay()

    @staticmethod
    def _ready_backpay() -> None:
        """Back payment: its list export and what happens when tax collects its receivables."""
        from collection import backpay_forms, backpay_lists, backpay_pdf, backpay_selectors, backpay_services, plugin
        from insured import exports
        from insured.printing import batches
        from payments import handlers

        exports.register(backpay_lists.APPLICATIONS)
        batches.register(
            batches.BatchKind(
                key="collection.backpay",
                label=_("Back-payment application forms"),
                capability=plugin.BACKPAY_VIEW,
                filters=backpay_forms.ApplicationBatchForm,
                select=backpay_selectors.applications_to_print,
                sheet=backpay_pdf.batch_sheet,
                title=backpay_pdf.batch_title,
                describe=lambda a: f"{a.number}　{a.person.name}　{a.get_status_display()}",
                order=35,
            )
        )
        handlers.register(
            backpay_services.SOURCE_TYPE,
            on_paid=backpay_services.on_receivables_paid,
            on_reopened=backpay_services.on_receivables_reopened,
        )
