from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefundsConfig(AppConfig):
    name = "refunds"
    verbose_name = _("Refunds")

    def ready(self) -> None:
        from insured import plugins
        from payments import handlers
        from refunds import plugin, services

        plugins.register(plugin.PLUGIN)
        # The money on live applications is held: no tax reversal takes back such an entry and no
        # one assigns such a waiting payment while it is being refunded.
        handlers.register_holds("refunds", entries=services.held_entries, notices=services.held_notices)
