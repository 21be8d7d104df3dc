"""API tokens for tests: made through the domain function, as an administrator would."""

from datetime import timedelta

from django.utils import timezone

from microintern.api import tokens
from microintern.api.enums import Scope


def make_token(*scopes: Scope, name="Careers CRM", days=30, actor=None) -> tokens.NewToken:
    return tokens.create_token(
        name=name,
        scopes=scopes or [Scope.MICRO_INTERNSHIPS_READ],
        expires_at=timezone.now() + timedelta(days=days),
        actor=actor,
    )


def bearer(made: tokens.NewToken) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {made.secret}"}
