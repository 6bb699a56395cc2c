from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Receivables, arrival notices and reconciliation")

    def ready(self) -> None:
        from insured import access, panels
        from payments import selectors

        panels.register(
            panels.PersonPanel(
                template="payments/person_payments_panel.html",
                capability=access.ACCOUNT_VIEW,
                context=lambda request, person: {"payments": selectors.person_payments(person.pk)[:100]},
                order=10,
            )
        )
