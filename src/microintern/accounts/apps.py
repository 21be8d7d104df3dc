from django.apps import AppConfig

from . import checks  # noqa: F401 - registers the deployment checks on sign-in


class AccountsConfig(AppConfig):
    name = "microintern.accounts"
    label = "accounts"
    verbose_name = "People and roles"
