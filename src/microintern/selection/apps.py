from django.apps import AppConfig


class SelectionConfig(AppConfig):
    name = "microintern.selection"
    label = "selection"
    verbose_name = "Selection rounds"

    def ready(self):
        """Take selection's part in place changes (`applications.hooks`): a place that comes
        free goes to the next student waiting, and an accepted place releases the student's
        other places in the round; and a student ranks the choices of each round not yet
        published against each other."""
        from microintern.applications import hooks  # noqa: PLC0415 - models load only once the app registry is ready

        from . import domain, queries  # noqa: PLC0415 - models load only once the app registry is ready

        hooks.on_place_change(domain.after_place_change)
        hooks.rank_within_rounds_with(queries.rounds_not_published_of)
