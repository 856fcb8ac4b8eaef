"""`motcua-token ROLE [--agency CODE] [--subject NAME]`: mints a local HS256 token for a role."""

import argparse
from datetime import timedelta

from ..settings import ServiceSettings
from .tokens import Role, mint_token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=[r.value for r in Role])
    parser.add_argument("--agency", help="agency scope (officers, integrators, applicants' portal)")
    parser.add_argument("--subject", help="who the token names (default: local-<role>)")
    parser.add_argument("--hours", type=float, default=12.0, help="validity in hours")
    args = parser.parse_args()
    settings = ServiceSettings()
    print(
        mint_token(
            settings.jwt_secret.get_secret_value(),
            args.role,
            subject=args.subject or f"local-{args.role}",
            agency_code=args.agency,
            ttl=timedelta(hours=args.hours),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
    )
