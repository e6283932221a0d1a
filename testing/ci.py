"""What CI=true means to the tests: nothing may skip, so a service a test needs must be there.

Locally a test whose service (a Docker engine, a browser, nginx...) is missing skips, saying why
and how to get it; CI=true, or the service's own variable set to 1, makes the same absence a
failure, so a missing service can never turn into a quietly green run.
"""

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def required(variable: str) -> bool:
    """Whether this run must have the service ``variable`` names: always in CI, else when it is 1."""
    return in_ci() or os.environ.get(variable) == "1"


def unavailable(what: str, why: str, variable: str, remedy: str) -> NoReturn:
    """Fail where the service is required, else skip; both say why, the skip also how to get it."""
    if required(variable):
        pytest.fail(f"{what} required here (CI=true or {variable}=1) but: {why}", pytrace=False)
    pytest.skip(f"{why}; {variable}=1 {remedy}, and in CI this is a failure")
