from django.apps import AppConfig


class HostsConfig(AppConfig):
    name = "microintern.hosts"
    label = "hosts"
    verbose_name = "Hosts and challenges"
