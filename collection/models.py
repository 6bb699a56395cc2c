"""Collection's records: special-group lists and memberships, back-payment applications."""
