"""Every request under /api/v1/ comes through here, so that django-ninja and pydantic are
loaded by the first API request rather than by every process that starts (web and task
workers, management commands): they would add about a fifth to the startup budget.

The API's own URL patterns (`endpoints.api.urls`) are resolved here, and the schema is
served here with its prefix, since ninja's own schema view looks its prefix up by a URL
name that the root URL configuration no longer holds.
"""

import functools

from django.http import JsonResponse
from django.urls import Resolver404, URLResolver
from django.urls.resolvers import RegexPattern
from django.views.decorators.csrf import csrf_exempt

PREFIX = "/api/v1/"


@functools.cache
def _api():
    from . import endpoints  # noqa: PLC0415 - django-ninja and pydantic load on the first API request, not at every start

    patterns, _app_name, _namespace = endpoints.api.urls
    return endpoints.api, URLResolver(RegexPattern(r"^"), patterns)


@csrf_exempt
def api_request(request, rest: str):
    """One API request: the schema, an endpoint, or a JSON 404 naming the path."""
    api, resolver = _api()
    if rest == "openapi.json":
        return JsonResponse(api.get_openapi_schema(path_prefix=PREFIX))
    try:
        match = resolver.resolve(rest)
    except Resolver404:
        match = None
    if match is None or not rest:
        return JsonResponse(
            {"detail": f"There is no API endpoint at {request.path}.", "code": "not_found"},
            status=404,
        )
    return match.func(request, *match.args, **match.kwargs)
