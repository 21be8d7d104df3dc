"""`python -m microintern <command>`: Django's management commands for this project."""

import os
import sys

from django.core.management import execute_from_command_line


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "microintern.settings")
    execute_from_command_line([f"{sys.executable} -m microintern", *sys.argv[1:]])


if __name__ == "__main__":
    main()
