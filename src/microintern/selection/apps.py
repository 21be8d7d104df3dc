from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "microintern.selection"
    label = "selection"
    verbose_name = "Selection rounds"

    def ready(self):
        """Take selection's part in place changes (`applications.hooks`): a place that comes
        free goes to the next student waiting, and an accepted place releases the student's
        other places in the round."""
        from microintern.applications import hooks  # noqa: PLC0415 - models load only once the app registry is ready

        from . import domain  # noqa: PLC0415 - models load only once the app registry is ready

        hooks.on_place_change(domain.after_place_change)
