"""Webhook subscriptions, managed by admins for integrators."""

from typing import Any

from fastapi import APIRouter, Response
from motcua_shared.api import ApiError, FieldProblem, error_responses
from motcua_shared.events import DOSSIER_EVENT_TYPES

from ..deps import Admin, NotifierDep, found
from ..schemas import WebhookCreate, WebhookCreated, WebhookPublic, WebhooksPublic

router = APIRouter(prefix="/v1", tags=["webhooks"])

SUBSCRIBABLE = {cls.model_fields["event_type"].default for cls in DOSSIER_EVENT_TYPES} | {"*"}


def _public(doc: dict[str, Any]) -> WebhookPublic:
    return WebhookPublic(id=doc["_id"], url=doc["url"], event_types=doc["event_types"], created_at=doc["created_at"])


@router.post(
    "/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    responses=error_responses({422: ["unknown_event_type"]}),
)
async def create_webhook(body: WebhookCreate, notifier: NotifierDep, caller: Admin) -> WebhookCreated:
    """Subscribe a URL to dossier event types (`*` for all). Calls are POSTs of the event JSON with
    `X-Motcua-Timestamp` and `X-Motcua-Signature: sha256=HMAC-SHA256(secret, timestamp + "." + body)`.
    The secret is in this answer only."""
    unknown = [t for t in body.event_types if t not in SUBSCRIBABLE]
    if unknown:
        raise ApiError(
            422,
            "unknown_event_type",
            f"unknown event types: {', '.join(unknown)}",
            fields=[
                FieldProblem(field="body.event_types", message=f"{t!r} is not a dossier event type") for t in unknown
            ],
        )
    doc = await notifier.subscriptions.create(str(body.url), body.event_types, body.secret, caller.subject)
    return WebhookCreated(**_public(doc).model_dump(), secret=doc["secret"])


@router.get("/webhooks", response_model=WebhooksPublic, responses=error_responses())
async def list_webhooks(notifier: NotifierDep, _: Admin) -> WebhooksPublic:
    data = [_public(d) for d in await notifier.subscriptions.all()]
    return WebhooksPublic(data=data, count=len(data))


@router.get(
    "/webhooks/{subscription_id}", response_model=WebhookPublic, responses=error_responses({404: ["webhook_not_found"]})
)
async def get_webhook(subscription_id: str, notifier: NotifierDep, _: Admin) -> WebhookPublic:
    doc = found(
        await notifier.subscriptions.get(subscription_id),
        "webhook_not_found",
        f"không có đăng ký webhook {subscription_id} (no webhook subscription {subscription_id})",
    )
    return _public(doc)


@router.delete("/webhooks/{subscription_id}", status_code=204, responses=error_responses({404: ["webhook_not_found"]}))
async def delete_webhook(subscription_id: str, notifier: NotifierDep, _: Admin) -> Response:
    """Unsubscribe; calls not yet made for it fail permanently (recorded in the history)."""
    if not await notifier.subscriptions.delete(subscription_id):
        raise ApiError(
            404,
            "webhook_not_found",
            f"không có đăng ký webhook {subscription_id} (no webhook subscription {subscription_id})",
        )
    return Response(status_code=204)
