"""Annotated dependencies for processing's routes."""

from typing import Annotated

from fastapi import Depends, Request
from motcua_shared.auth import Principal, Role, require_role

from ..service_layer.unit import Processing


def get_processing(request: Request) -> Processing:
    processing: Processing = request.app.state.processing
    return processing


ProcessingDep = Annotated[Processing, Depends(get_processing)]

# Officers act on their agency's dossiers; officials and admins read every agency's.
Officer = Annotated[Principal, Depends(require_role(Role.OFFICER))]
Reader = Annotated[Principal, Depends(require_role(Role.OFFICER, Role.OFFICIAL, Role.ADMIN))]
