"""The cache every web worker shares: the database's (its table made by `migrate`) or Redis
with REDIS_URL, never a per-process one in deployment (`check --deploy` warns)."""

import importlib
import json

import pytest
from django.core.cache.backends.db import DatabaseCache
from django.db import connection

from microintern.core.checks import cache_is_shared
from tests.core.test_settings import python

CACHE_TABLE_MIGRATION = importlib.import_module("microintern.core.migrations.0002_cache_table")
SHOW_CACHES = "import json, microintern.settings as s; print(json.dumps(s.CACHES))"
PRODUCTION = {
    "MICROINTERN_ENV": "production",
    "SECRET_KEY": "a-test-only-production-key-" + "x" * 40,
    "ALLOWED_HOSTS": "micro.example.ac.uk",
}


def caches_in(tmp_path, **env: str) -> dict:
    """settings.CACHES of a fresh interpreter (outside pytest) with `env`."""
    done = python(
        f"import os; os.environ.pop('PYTEST_VERSION', None); {SHOW_CACHES}",
        cwd=tmp_path,
        env={"REDIS_URL": "", **env},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("environment", [{}, PRODUCTION], ids=["development", "production"])
def test_the_cache_is_the_database_by_default(tmp_path, settings, environment):
    default = caches_in(tmp_path, **environment)["default"]
    assert default["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert default["LOCATION"] == settings.CACHE_TABLE == CACHE_TABLE_MIGRATION.CACHE_TABLE


def test_the_cache_is_redis_when_redis_url_is_set(tmp_path):
    default = caches_in(
        tmp_path,
        **PRODUCTION,
        REDIS_URL="redis://127.0.0.1:6379/3",
        MICROINTERN_CACHE_KEY_PREFIX="site-b",
    )["default"]
    assert default == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
        "KEY_PREFIX": "site-b",
    }


@pytest.mark.django_db
def test_migrate_makes_the_cache_table_and_the_database_cache_works_on_it(settings):
    assert settings.CACHE_TABLE in connection.introspection.table_names()
    cache = DatabaseCache(settings.CACHE_TABLE, {})
    assert cache.add("used-code", "y", timeout=60)
    assert not cache.add("used-code", "y", timeout=60)  # what allauth's replay check relies on
    assert cache.get("used-code") == "y"


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_the_deployment_check_warns_about_a_per_process_cache(settings, backend):
    settings.CACHES = {"default": {"BACKEND": backend}}
    [warning] = cache_is_shared(None)
    assert warning.id == "microintern.W002"
    assert "not shared between processes" in warning.msg


@pytest.mark.parametrize(
    "default",
    [
        {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "microintern_cache"},
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
        },
    ],
    ids=["database", "redis"],
)
def test_the_deployment_check_accepts_a_shared_cache(settings, default):
    settings.CACHES = {"default": default}
    assert cache_is_shared(None) == []
