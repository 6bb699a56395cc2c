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
        from collection import backpay_lists, backpay_services
        from insured import exports
        from payments import handlers

        exports.register(backpay_lists.APPLICATIONS)
        handlers.register(
            backpay_services.SOURCE_TYPE,
            on_paid=backpay_services.on_receivables_paid,
            on_reopened=backpay_services.on_receivables_reopened,
        )
