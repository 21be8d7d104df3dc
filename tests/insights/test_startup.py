"""Starting a process does not load the heavy libraries.

A fresh interpreter (the same one, the same environment) runs ``django.setup()`` and loads
the whole URL configuration, as every web worker, task worker and management command does;
then lists which heavy libraries ended up in ``sys.modules``. They must load only where they
are used: SciPy, statsmodels, pandas and NumPy when a statistic is computed, openpyxl for a
workbook, fpdf2 for a PDF, BeautifulSoup and flufl.bounce when an email is read,
django-ninja and pydantic on the first API request.
"""

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microintern.settings")
import django
django.setup()
from django.urls import get_resolver
import microintern.urls
get_resolver().url_patterns
print(json.dumps(sorted(name for name in sys.modules if not name.startswith("_"))))
"""

HEAVY = (
    "scipy",
    "statsmodels",
    "pandas",
    "numpy",
    "openpyxl",
    "fpdf",
    "bs4",
    "flufl.bounce",
    "ninja",
    "pydantic",
)


@pytest.fixture(scope="module")
def loaded_at_start() -> set[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "microintern.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_probe_loads_the_url_configuration(loaded_at_start):
    assert {"microintern.urls", "microintern.insights.views.dashboard"} <= loaded_at_start
    assert {"microintern.insights.stats", "microintern.surveys.report_pdf"} <= loaded_at_start


@pytest.mark.parametrize("library", HEAVY)
def test_a_heavy_library_is_not_loaded_at_start(loaded_at_start, library):
    assert library not in loaded_at_start
