"""WSGI entry point (gunicorn microintern.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microintern.settings")
application = get_wsgi_application()
