"""Annotated dependencies for notification's routes."""

from typing import Annotated, TypeVar

from fastapi import Depends, Request
from motcua_shared.api import ApiError
from motcua_shared.auth import Principal, Role, require_role

from ..service_layer.notifier import Notifier


def get_notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]

# Officers read their agency's history; officials and admins every agency's (unless scoped).
Reader = Annotated[Principal, Depends(require_role(Role.OFFICER, Role.OFFICIAL, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]

T = TypeVar("T")


def found(value: T | None, code: str, message: str) -> T:
    """`value`, or 404 `code` (a route's answer for what the store does not hold)."""
    if value is None:
        raise ApiError(404, code, message)
    return value
