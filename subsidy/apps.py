from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidyConfig(AppConfig):
    name = "subsidy"
    verbose_name = _("Personal sponsorship")

    def ready(self) -> None:
        from insured import plugins
        from payments import handlers
        from subsidy import plugin, services

        plugins.register(plugin.PLUGIN)

        from insured import exports
        from subsidy import lists

        exports.register(lists.APPLICATIONS)
        handlers.register(
            services.SOURCE_TYPE, on_paid=services.on_receivables_paid, on_reopened=services.on_receivables_reopened
        )
