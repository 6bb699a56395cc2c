from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = _("Oversight")

    def ready(self) -> None:
        from insured import exports, jobs, plugins
        from oversight import jobs as oversight_jobs
        from oversight import lists, plugin, tasks
        from payments import handlers

        plugins.register(plugin.PLUGIN)
        # After a batch of notices commits, the progress of the villages it paid is counted again.
        handlers.register_after_batch("oversight", tasks.after_batch)
        for kind in oversight_jobs.KINDS:
            jobs.register(kind)
        for spec in lists.LISTS:
            exports.register(spec)
