"""The two HTTP channels: an SMS gateway and integrators' webhooks (httpx).

Both read an answer the same way: 2xx is done; 408, 429 and 5xx, a time-out or a refused connection
are transient; any other 4xx is permanent (the request itself is wrong and will stay wrong)."""

import time

import httpx

from ..domain.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from ..service_layer.ports import SendError

_TRANSIENT_STATUSES = {408, 425, 429}


def _check(response: httpx.Response, what: str) -> None:
    if response.is_success:
        return
    permanent = 400 <= response.status_code < 500 and response.status_code not in _TRANSIENT_STATUSES
    raise SendError(f"{what} answered {response.status_code}: {response.text[:200]}", permanent=permanent)


class HttpSmsGateway:
    """POSTs `{"to", "text", "sender", "reference"}` as JSON to the configured URL, with a bearer token
    when one is configured; the reference doubles as an Idempotency-Key for gateways that honour it."""

    def __init__(self, client: httpx.AsyncClient, *, url: str, token: str | None, sender: str) -> None:
        self._client, self._url, self._token, self._sender = client, url, token, sender

    async def send_sms(self, *, reference: str, to: str, text: str) -> None:
        headers = {"Idempotency-Key": reference}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = {"to": to, "text": text, "sender": self._sender, "reference": reference}
        try:
            response = await self._client.post(self._url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SendError(f"SMS gateway unreachable: {exc!r}", permanent=False) from exc
        _check(response, "the SMS gateway")


class HttpWebhookSender:
    """POSTs the event as it was published, signed with HMAC-SHA256 over `<timestamp>.<body>`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post(self, *, reference: str, url: str, body: bytes, secret: str, event_type: str) -> None:
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            "X-Motcua-Event-Type": event_type,
            "X-Motcua-Notification-Id": reference,
        }
        try:
            response = await self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise SendError(f"webhook receiver unreachable: {exc!r}", permanent=False) from exc
        _check(response, "the webhook receiver")
