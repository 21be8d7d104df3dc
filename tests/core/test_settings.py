"""Settings: importing them writes nothing; keys come from an explicit step; production
refuses an unsafe configuration."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

import microintern


def clean_environment(*without: str) -> dict[str, str]:
    """This environment without the keys, the MICROINTERN_ settings and the names in
    `without`, and with this checkout's microintern first on the path."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "MICROINTERN_RESEARCH_KEY", "MICROINTERN_RESEARCH_KEY_FILE"}
        and k not in without
        and not k.startswith("MICROINTERN_")
    }
    source = str(Path(microintern.__file__).parent.parent)
    clean["PYTHONPATH"] = os.pathsep.join([source, clean.get("PYTHONPATH", "")])
    return clean


def python(code: str, *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter that finds this checkout's microintern."""
    clean = clean_environment()
    clean["DJANGO_SETTINGS_MODULE"] = "microintern.settings"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def manage(command: str) -> str:
    """Code running the management command `command`, as `python -m microintern` does."""
    return (
        "from django.core.management import execute_from_command_line; "
        f"execute_from_command_line(['microintern', {command!r}])"
    )


def files_under(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*"))


@pytest.mark.parametrize("var_exists", [True, False], ids=["empty var", "no var"])
def test_importing_the_settings_and_setting_up_django_writes_nothing(tmp_path, var_exists):
    var = tmp_path / "var"
    if var_exists:
        var.mkdir()
    done = python(
        "import django, microintern.settings as s; django.setup(); print(s.VAR_DIR)",
        cwd=tmp_path,
        env={"MICROINTERN_VAR_DIR": str(var)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(var)
    assert files_under(tmp_path) == ([var] if var_exists else [])


def test_the_var_directory_is_var_in_the_directory_the_process_starts_in(tmp_path):
    done = python("import microintern.settings as s; print(s.VAR_DIR)", cwd=tmp_path, env={})
    assert done.stdout.strip() == str(tmp_path.resolve() / "var")
    assert files_under(tmp_path) == []


def test_init_keys_makes_the_keys_once_and_the_settings_use_them(tmp_path):
    env = {"MICROINTERN_VAR_DIR": str(tmp_path / "var")}
    code = manage("init_keys")
    assert python(code, cwd=tmp_path, env=env).returncode == 0
    secret, research = (tmp_path / "var" / "secret_key"), (tmp_path / "var" / "research_key")
    keys = secret.read_text(), research.read_text()
    assert len(keys[0]) >= 50 and len(keys[1]) >= 32
    assert oct(secret.stat().st_mode & 0o777) == "0o600"

    assert python(code, cwd=tmp_path, env=env).returncode == 0
    assert (secret.read_text(), research.read_text()) == keys

    done = python(
        "import microintern.settings as s; print(s.SECRET_KEY); print(s.MICROINTERN_RESEARCH_KEY)",
        cwd=tmp_path,
        env=env,
    )
    assert done.stdout.split() == list(keys)


def test_without_keys_development_uses_the_fixed_key_and_says_to_run_init_keys(tmp_path):
    done = python(manage("check"), cwd=tmp_path, env={"MICROINTERN_VAR_DIR": str(tmp_path / "var")})
    assert done.returncode == 0, done.stderr
    assert "microintern.W001" in done.stderr
    assert "python -m microintern init_keys" in done.stderr
    assert files_under(tmp_path) == []


def test_init_keys_refuses_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="SECRET_KEY"):
        call_command("init_keys")


def production(**extra: str) -> dict[str, str]:
    return {
        "MICROINTERN_ENV": "production",
        "SECRET_KEY": "a-long-random-production-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "micro.example.ac.uk",
        **extra,
    }


CHECK = manage("check")


def test_production_refuses_to_start_with_staff_mfa_switched_off(tmp_path):
    done = python(CHECK, cwd=tmp_path, env=production(MICROINTERN_STAFF_REQUIRE_MFA="0"))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "MICROINTERN_STAFF_REQUIRE_MFA cannot be switched off" in done.stderr


def test_production_with_staff_mfa_on_starts(tmp_path):
    done = python(CHECK, cwd=tmp_path, env=production(MICROINTERN_STAFF_REQUIRE_MFA="1"))
    assert done.returncode == 0, done.stderr
