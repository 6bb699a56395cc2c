from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollectionConfig(AppConfig):
    name = "collection"
    verbose_name = _("Collection")

    def ready(self) -> None:
        from collection import jobs as collection_jobs
        from collection import plugin
        from insured import jobs, plugins

        plugins.register(plugin.PLUGIN)
        for kind in collection_jobs.KINDS:
            jobs.register(kind)
