from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = _("Collection")

    def ready(self) -> None:
        from collection import jobs as collection_jobs
        from collection import lists, plugin
        from insured import exports, jobs, plugins

        plugins.register(plugin.PLUGIN)
        for kind in collection_jobs.KINDS:
            jobs.register(kind)
        for spec in lists.EXPORTS:
            exports.register(spec)
