"""Which later event makes an SMS not yet sent untrue, as data.

An SMS may wait for hours (quiet hours, retries): when it finally goes it must tell only what is
still true, so "please pay" is not sent once the payment is made. The dispatcher drops an SMS when
an event of its dossier listed here for its event type occurred at or after its own event, and the
delivery keeps that later event as the reason (`superseded_by`). Emails are the applicant's record
(the receipt, the apology letter) and are never dropped."""

_ENDED = frozenset({"dossier.refused", "dossier.withdrawn", "dossier.returned"})
_DATE_MOVED = frozenset({"dossier.supplement_received", "dossier.resumed", "dossier.apology_issued"})
_RESULT = frozenset({"dossier.result_ready"}) | _ENDED

# The event type of a message -> the later event types that make it untrue.
SUPERSEDED_BY: dict[str, frozenset[str]] = {
    # "received; an officer will check it": it was checked.
    "dossier.submitted": frozenset({"dossier.accepted"}) | _ENDED,
    # "result date: D": the date moved, or the result came.
    "dossier.accepted": _DATE_MOVED | _RESULT,
    "dossier.supplement_received": _DATE_MOVED | _RESULT,
    # "papers needed": they came, or the dossier ended.
    "dossier.supplement_requested": frozenset({"dossier.supplement_received"}) | _ENDED,
    # "please pay": paid, or the dossier ended.
    "dossier.payment_requested": frozenset({"dossier.payment_completed"}) | _ENDED,
    # "come and collect the result": collected, or withdrawn.
    "dossier.result_ready": frozenset({"dossier.returned", "dossier.withdrawn"}),
    # "hand in the papers by D": they came, or the dossier ended.
    "dossier.supplement_due_soon": frozenset({"dossier.supplement_received"}) | _ENDED,
    # "please collect the result": collected.
    "dossier.result_uncollected": frozenset({"dossier.returned", "dossier.withdrawn"}),
}
# Never superseded: a refusal and a return (they are final) and the apology (owed whatever follows).

SUPERSEDING: frozenset[str] = frozenset().union(*SUPERSEDED_BY.values())


def superseded_by(event_type: str) -> frozenset[str]:
    """The later event types that make a message about an `event_type` event untrue."""
    return SUPERSEDED_BY.get(event_type, frozenset())
