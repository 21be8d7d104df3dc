"""`check --deploy` refuses a deployment where staff could skip their second factor, or
where passkeys would be accepted over plain HTTP."""

import pytest

from microintern.accounts.checks import STAFF_MIDDLEWARE, staff_second_factor_is_required
from tests.core.test_settings import python


def test_the_settings_as_shipped_pass(settings):
    assert settings.MICROINTERN_STAFF_REQUIRE_MFA
    assert staff_second_factor_is_required(None) == []


def test_staff_mfa_switched_off_is_refused(settings):
    settings.MICROINTERN_STAFF_REQUIRE_MFA = False
    [error] = staff_second_factor_is_required(None)
    assert error.id == "accounts.E001"
    assert "would open with a password alone" in error.msg


def test_the_staff_mfa_middleware_taken_out_is_refused(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != STAFF_MIDDLEWARE]
    assert [e.id for e in staff_second_factor_is_required(None)] == ["accounts.E002"]


def test_no_second_factor_type_is_refused(settings):
    settings.MFA_SUPPORTED_TYPES = ["recovery_codes"]
    assert [e.id for e in staff_second_factor_is_required(None)] == ["accounts.E003"]


def test_passkeys_over_plain_http_are_refused(settings):
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    [error] = staff_second_factor_is_required(None)
    assert error.id == "accounts.E004"


@pytest.mark.parametrize("environment", ["staging", "development"])
def test_check_deploy_fails_with_staff_mfa_off_outside_production_too(tmp_path, environment):
    """Production refuses to start with MFA off; any other deployment is refused by the check."""
    code = (
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['microintern', 'check', '--deploy'])"
    )
    env = {"MICROINTERN_ENV": environment, "MICROINTERN_STAFF_REQUIRE_MFA": "0"}
    done = python(code, cwd=tmp_path, env=env)
    assert done.returncode != 0
    assert "accounts.E001" in done.stderr
    assert "Staff MFA is switched off" in done.stderr
