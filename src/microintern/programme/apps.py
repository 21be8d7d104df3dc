from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ProgrammeConfig(AppConfig):
    name = "microintern.programme"
    label = "programme"
    verbose_name = "Micro-internships"

    def ready(self):
        """Every save or delete of what the public pages show starts a new version of their
        cache, whoever makes it (the domain layer, the admin, a data import): a signal here
        keeps the cache true and decides nothing else."""
        from microintern.hosts.models import Challenge, Organisation  # noqa: PLC0415 - apps are loaded by now

        from .models import MicroInternship  # noqa: PLC0415 - apps are loaded by now
        from .public_pages import forget_public_pages  # noqa: PLC0415 - apps are loaded by now

        def forget(**_signal) -> None:
            forget_public_pages()

        for model in (MicroInternship, Challenge, Organisation):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget,
                    sender=model,
                    weak=False,
                    dispatch_uid=f"forget-public-pages-{model.__name__}",
                )
