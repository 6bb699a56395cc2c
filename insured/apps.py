from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsuredConfig(AppConfig):
    name = "insured"
    verbose_name = _("Insured persons and accounts")

    def ready(self) -> None:
        from insured import exports, jobs, lists, plugin, plugins, security  # noqa: F401 — security connects its log receivers
        from insured.printing import batches

        plugins.register(plugin.PLUGIN)
        jobs.register(batches.JOB)
        for spec in (lists.PERSONS, lists.ACCESS_LOG):
            exports.register(spec)
