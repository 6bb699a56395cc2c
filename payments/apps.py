from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Receivables, arrival notices and reconciliation")

    def ready(self) -> None:
        from insured import exports, jobs, plugins
        from payments import jobs as payments_jobs
        from payments import lists, plugin

        plugins.register(plugin.PLUGIN)
        for kind in payments_jobs.KINDS:
            jobs.register(kind)
        for spec in lists.LISTS:
            exports.register(spec)
