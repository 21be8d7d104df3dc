from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "microintern.accounts"
    label = "accounts"
    verbose_name = "People and roles"
