from django.apps import AppConfig

from microintern.programme import hooks as programme_hooks

from . import checks, hooks  # noqa: F401 (checks registers the deployment checks)


class ApplicationsConfig(AppConfig):
    name = "microintern.applications"
    label = "applications"
    verbose_name = "Expressions of interest and places"

    def ready(self):
        """Take this app's part in programme's changes (`programme.hooks`): students hear of
        a cancellation, and a capacity cannot go below the places taken.
        """

        from . import domain, queries  # noqa: PLC0415 - models load only once the app registry is ready

        programme_hooks.on_micro_internship_change(domain.after_micro_internship_change)
        programme_hooks.count_places_taken_with(queries.places_taken)
