"""TASKS_BACKEND switches background tasks between the database and RQ on Redis; RQ without
Redis is refused by `check` (and so by `check --deploy`), with what to set."""

import json

import pytest

from microintern.core.management.commands.devserver import worker_command
from tests.core.test_settings import manage, python

SHOW_TASKS = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps([settings.TASKS['default']['BACKEND'], "
    "'django_rq' in settings.INSTALLED_APPS, getattr(settings, 'RQ_QUEUES', None)]))"
)


def tasks_settings(tmp_path, **env) -> list:
    done = python(SHOW_TASKS, cwd=tmp_path, env={"TASKS_BACKEND": "", **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_by_default_tasks_wait_in_the_database_and_rq_is_not_loaded(tmp_path):
    done = python(SHOW_TASKS, cwd=tmp_path, env={})
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "django_tasks_db.DatabaseBackend",
        False,
        None,
    ]


def test_tasks_backend_rq_keeps_tasks_in_the_redis_of_redis_url(tmp_path):
    backend, rq_installed, queues = tasks_settings(
        tmp_path, TASKS_BACKEND="rq", REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert backend == "django_tasks_rq.RQBackend"
    assert rq_installed
    assert queues["default"]["URL"] == "redis://127.0.0.1:6379/3"


def test_tasks_redis_url_puts_the_queue_in_another_redis_than_the_cache(tmp_path):
    _, _, queues = tasks_settings(
        tmp_path,
        TASKS_BACKEND="rq",
        REDIS_URL="redis://127.0.0.1:6379/3",
        TASKS_REDIS_URL="redis://queue.internal:6379/0",
    )
    assert queues["default"]["URL"] == "redis://queue.internal:6379/0"


@pytest.mark.parametrize("deploy", [False, True], ids=["check", "check --deploy"])
def test_rq_without_redis_is_refused_with_what_to_set(tmp_path, deploy):
    command = "check --deploy" if deploy else "check"
    code = (
        "from django.core.management import execute_from_command_line; "
        f"execute_from_command_line(['microintern', *{command.split()!r}])"
    )
    done = python(code, cwd=tmp_path, env={"TASKS_BACKEND": "rq", "REDIS_URL": ""})
    assert done.returncode != 0
    assert "(microintern.E001) TASKS_BACKEND=rq keeps background tasks in Redis" in done.stderr
    assert "Set REDIS_URL" in done.stderr


def test_rq_with_redis_passes_the_check(tmp_path):
    done = python(
        manage("check"),
        cwd=tmp_path,
        env={"TASKS_BACKEND": "rq", "REDIS_URL": "redis://127.0.0.1:6379/12"},
    )
    assert done.returncode == 0, done.stderr
    assert "microintern.E001" not in done.stderr


def test_the_development_server_starts_the_worker_of_the_configured_backend(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert worker_command()[0] == "db_worker"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    assert worker_command() == ["rqworker", "--with-scheduler", "default"]
