from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Receivables, arrival notices and reconciliation")

    def ready(self) -> None:
        from insured import plugins
        from payments import plugin

        plugins.register(plugin.PLUGIN)

        from insured import exports
        from payments import lists

        for spec in lists.LISTS:
            exports.register(spec)
