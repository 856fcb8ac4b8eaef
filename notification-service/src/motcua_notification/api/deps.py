"""Annotated dependencies for notification's routes."""

from typing import Annotated

from fastapi import Depends, Request
from motcua_shared.auth import Principal, Role, require_role

from ..service_layer.notifier import Notifier


def get_notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]

# Officers read their agency's history; officials and admins every agency's (unless scoped).
Reader = Annotated[Principal, Depends(require_role(Role.OFFICER, Role.OFFICIAL, Role.ADMIN))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
