from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectiveConfig(AppConfig):
    name = "collective"
    verbose_name = _("Collective subsidy")

    def ready(self) -> None:
        from collective import jobs as collective_jobs
        from collective import plugin, services
        from insured import jobs, plugins
        from payments import handlers

        plugins.register(plugin.PLUGIN)
        handlers.register(
            services.ROW_SOURCE_TYPE,
            on_paid=services.on_receivables_paid,
            on_reopened=services.on_receivables_reopened,
        )
        for kind in collective_jobs.KINDS:
            jobs.register(kind)
