from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuredConfig(AppConfig):
    name = "insured"
    verbose_name = _("Insured persons and accounts")

    def ready(self) -> None:
        from insured import plugin, plugins, security  # noqa: F401 — security connects its log receivers

        plugins.register(plugin.PLUGIN)

        from insured import exports, lists

        for spec in (lists.PERSONS, lists.ACCESS_LOG):
            exports.register(spec)
