"""System checks on the settings: run by `check`, `migrate`, `runserver` and the workers."""

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.checks import Error, Tags, Warning, register

INIT_KEYS = "python -m microintern init_keys"


@register(Tags.security)
def keys_are_made(app_configs, **kwargs) -> list:
    """Outside production, say when the fixed development keys are in use and how to make
    this checkout's own."""
    fixed = [
        name
        for name, value, development in (
            ("SECRET_KEY", settings.SECRET_KEY, settings.DEVELOPMENT_SECRET_KEY),
            (
                "MICROINTERN_RESEARCH_KEY",
                settings.MICROINTERN_RESEARCH_KEY,
                settings.DEVELOPMENT_RESEARCH_KEY,
            ),
        )
        if value == development
    ]
    if not fixed:
        return []
    return [
        Warning(
            f"{' and '.join(fixed)} not set and not in {settings.VAR_DIR}: using the fixed "
            "development key, which is public.",
            hint=f"Run `{INIT_KEYS}` to make keys of your own there.",
            id="microintern.W001",
        )
    ]


PER_PROCESS_CACHES = (LocMemCache, DummyCache)


@register(Tags.security, Tags.caches, deploy=True)
def cache_is_shared(app_configs, **kwargs) -> list:
    """In deployment, every web worker must see the same cache: allauth keeps used
    authenticator codes and its rate-limit counters there, and a per-process cache accepts a
    code once per worker and multiplies every limit by the number of workers."""
    return [
        Warning(
            f"The {alias!r} cache ({settings.CACHES[alias]['BACKEND']}) is not shared between "
            "processes: each web worker would accept the same authenticator code again and "
            "count its own sign-in attempts.",
            hint="Leave CACHES as the settings make it (the database cache, or Redis when "
            "REDIS_URL is set).",
            id="microintern.W002",
        )
        for alias in settings.CACHES
        if isinstance(caches[alias], PER_PROCESS_CACHES)
    ]


@register(Tags.compatibility)
def rq_tasks_have_redis(app_configs, **kwargs) -> list:
    """Tasks on RQ (TASKS_BACKEND=rq) wait in Redis: without REDIS_URL (or TASKS_REDIS_URL)
    every enqueue would fail, so no email would ever be sent. An error for every `check`
    (`--deploy` included) and every management command that checks, `rqworker` too."""
    if settings.TASKS["default"]["BACKEND"] != settings.TASKS_BACKENDS["rq"]:
        return []
    if settings.TASKS_REDIS_URL:
        return []
    return [
        Error(
            "TASKS_BACKEND=rq keeps background tasks in Redis, but neither REDIS_URL nor "
            "TASKS_REDIS_URL is set.",
            hint="Set REDIS_URL (e.g. redis://127.0.0.1:6379/0), or leave TASKS_BACKEND "
            "unset to keep tasks in the database.",
            id="microintern.E001",
        )
    ]
