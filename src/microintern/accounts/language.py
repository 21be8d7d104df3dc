"""The language switch: the choice is kept in a cookie and, for someone signed in, on their
account, so that it follows them to another device and their emails are written in it.

Someone not signed in follows a plain link (GET: it only sets the cookie, so public pages
keep carrying no CSRF token and nothing else changes); someone signed in sends a small
form (POST, Django's `set_language`), which also stores the choice on their account."""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django.views.i18n import set_language

from .domain import known_language, set_language_preference


@require_http_methods(["GET", "POST"])
def choose_language(request):
    """The switch's link or form comes here, and the browser goes back to the page it was
    on (never to another site)."""
    if request.method == "POST":  # signed in: Django's own view, then the account
        response = set_language(request)
        if request.user.is_authenticated:
            set_language_preference(request.user, request.POST.get("language", ""))
        return response
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "/"
    response = HttpResponseRedirect(back)
    language = known_language(request.GET.get("language", ""))
    if language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
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
