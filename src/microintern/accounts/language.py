"""The language switch: the choice is kept in a cookie (Django's `set_language`) and, for
someone signed in, on their account, so that it follows them to another device and their
emails are written in it."""

from django.conf import settings
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .domain import known_language, set_language_preference


@require_POST
def choose_language(request):
    """The switch's form posts here: Django's own view sets the cookie and goes back to the
    page; a signed-in person's choice is also stored on their account."""
    response = set_language(request)
    if request.user.is_authenticated:
        set_language_preference(request.user, request.POST.get("language", ""))
    return response


class AccountLanguageMiddleware:
    """A signed-in person whose browser has no language cookie yet (a new device) sees the
    pages in the language stored on their account. Runs after LocaleMiddleware and the
    authentication middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and user is not None
            and user.is_authenticated
            and known_language(user.language)
        ):
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)
