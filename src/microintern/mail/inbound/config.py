"""Settings of inbound mail (`MICROINTERN_INBOUND` in settings)."""

from django.conf import settings


def inbound_setting(name: str):
    return settings.MICROINTERN_INBOUND[name]
