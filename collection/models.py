"""Collection's records: special-group lists and memberships, back-payment applications."""

from collection.backpay_models import BackPaymentApplication, BackPaymentScheme, BackPaymentYear  # noqa: F401
