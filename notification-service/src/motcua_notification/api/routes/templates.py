"""Templates: listed and given new versions by admins. A text with an unknown placeholder is refused
here (422 `unknown_placeholder`), never discovered at send time."""

from fastapi import APIRouter
from motcua_shared.api import ApiError, FieldProblem, error_responses

from ...adapters.templates import VersionConflict
from ...domain.templates import Template, TemplateError, Text, allowed_placeholders, load_template
from ..deps import Admin, NotifierDep
from ..schemas import TemplatePublic, TemplatesPublic, TemplateText, TemplateUpdate

router = APIRouter(prefix="/v1", tags=["templates"])
# Why a new text is refused (domain/templates.py, TemplateError); the event type is the template's own.
TEMPLATE_CODES = [
    "unknown_placeholder",
    "malformed_template",
    "missing_language",
    "unknown_language",
    "empty_template",
    "missing_subject",
]


def _public(template: Template) -> TemplatePublic:
    return TemplatePublic(
        id=template.id,
        event_type=template.event_type,
        channel=template.id.rsplit(".", 1)[-1],
        version=template.version,
        placeholders=sorted(allowed_placeholders(template.event_type)),
        texts={lang: TemplateText(subject=t.subject, body=t.body) for lang, t in template.texts.items()},
    )


@router.get("/templates", response_model=TemplatesPublic, responses=error_responses())
async def list_templates(notifier: NotifierDep, _: Admin) -> TemplatesPublic:
    """The current version of every template."""
    data = [_public(t) for t in await notifier.templates.all_current()]
    return TemplatesPublic(data=data, count=len(data))


@router.put(
    "/templates/{template_id}",
    response_model=TemplatePublic,
    responses=error_responses({404: ["template_not_found"], 409: ["version_conflict"], 422: TEMPLATE_CODES}),
)
async def update_template(
    template_id: str, update: TemplateUpdate, notifier: NotifierDep, caller: Admin
) -> TemplatePublic:
    """Publish a new version; messages decided from now on use it (ones already decided keep theirs)."""
    if not notifier.templates.known(template_id):
        raise ApiError(404, "template_not_found", f"no template {template_id!r}")
    current = await notifier.templates.current(template_id)
    texts = {
        lang: Text(body=t.body, subject=t.subject)
        for lang, t in (("vi", update.vi), ("en", update.en))
        if t is not None
    }
    try:
        template = load_template(
            template_id,
            current.event_type,
            texts,
            version=current.version + 1,
            needs_subject=template_id.endswith(".email"),
        )
    except TemplateError as exc:
        raise ApiError(
            422, exc.code, exc.message, fields=[FieldProblem(field=f"body.{exc.field}", message=exc.message)]
        ) from exc
    try:
        await notifier.templates.publish(template, by=caller.subject)
    except VersionConflict as exc:
        raise ApiError(409, "version_conflict", f"{exc}; read the template again and retry") from exc
    return _public(template)
