"""The project as a new user meets it: demo data, entry point, production settings."""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command

from microintern.accounts.models import Student, User
from microintern.applications.enums import PlaceState
from microintern.applications.models import ExpressionOfInterest
from microintern.programme.enums import MicroInternshipState
from microintern.programme.models import MicroInternship

pytestmark = pytest.mark.django_db


def test_demo_data_is_realistic_and_loading_it_twice_changes_nothing():
    call_command("demo", year_students=0)  # the hand-written part (the year: test_demo_year)
    counts = (User.objects.count(), Student.objects.count(), ExpressionOfInterest.objects.count())
    call_command("demo", year_students=0)
    assert (
        User.objects.count(),
        Student.objects.count(),
        ExpressionOfInterest.objects.count(),
    ) == counts
    assert MicroInternship.objects.count() == 5
    assert set(MicroInternship.objects.values_list("state", flat=True)) >= {
        MicroInternshipState.OPEN,
        MicroInternshipState.COMPLETED,
        MicroInternshipState.SELECTION_PUBLISHED,
    }
    took_part = ExpressionOfInterest.objects.filter(
        state__in=[PlaceState.ATTENDED, PlaceState.NO_SHOW, PlaceState.ACCEPTED]
    ).count()
    assert 25 <= took_part <= 35
    assert ExpressionOfInterest.objects.count() > took_part * 2
    assert set(User.objects.values_list("role", flat=True)) == {
        "student",
        "host",
        "staff",
        "researcher",
        "administrator",
    }


def test_demo_generates_large_data_sets_in_bulk():
    call_command("demo", students=2000)
    assert Student.objects.filter(student_number__startswith="G").count() == 2000
    for mi in MicroInternship.objects.filter(reference__startswith="GEN-"):
        assert mi.interests.filter(state__in=PlaceState.holding_a_seat()).count() <= mi.capacity


def run_module(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "microintern", *args],
        capture_output=True,
        text=True,
        env={
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            **(env or {}),
        },
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {"MICROINTERN_ENV": "production", "SECRET_KEY": "", "ALLOWED_HOSTS": "x.example"}
    result = run_module("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when MICROINTERN_ENV=production" in result.stderr


def test_production_settings_pass_the_deployment_checklist(badge_key_file):
    env = {
        "MICROINTERN_ENV": "production",
        "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "micro.example.ac.uk",
        "MICROINTERN_BADGE_KEY_FILE": str(badge_key_file),
    }
    result = run_module("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
