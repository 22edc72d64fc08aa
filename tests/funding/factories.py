"""Funding factories beyond the shared ones: requests in a given state, documents."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.utils import timezone

from funding import services
from funding.models import DocumentKind, FundingRequest, RequestDocument
from tests.factories import FundingRequestFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def submitted_request(senco, **kwargs) -> FundingRequest:
    """A complete request the SENCO has submitted through the service."""
    school = senco.memberships.get().school
    fr = FundingRequestFactory(school=school, created_by=senco, **kwargs)
    services._recalculate(fr)
    return services.submit_request(fr, user=senco)


def draft_request(senco, **kwargs) -> FundingRequest:
    school = senco.memberships.get().school
    fr = FundingRequestFactory(school=school, created_by=senco, **kwargs)
    services._recalculate(fr)
    fr.refresh_from_db()
    return fr


def stored_document(fr, user, content=PDF, name="plan.pdf") -> RequestDocument:
    doc = RequestDocument(
        request=fr,
        kind=DocumentKind.SUPPORT_PLAN,
        original_name=name,
        content_type="application/pdf",
        size=len(content),
        uploaded_by=user,
        uploaded_at=timezone.now(),
    )
    doc.file.save("x.pdf", ContentFile(content), save=False)
    doc.save()
    return doc


def declined_request(senco, **kwargs) -> FundingRequest:
    """A request the school submitted and its cluster's panel has declined.

    The decision itself is the panels app's (its own tests go through it); here it is
    recorded as the panel would leave it: the state and a timeline event.
    """
    fr = submitted_request(senco, **kwargs)
    return decline(fr)


def decline(fr: FundingRequest) -> FundingRequest:
    from funding.models import RequestEvent

    RequestEvent.objects.create(
        request=fr, kind="decline", from_state=fr.state, to_state="declined",
        message="Not enough evidence of the impact of the provision already in place.",
    )  # fmt: skip
    FundingRequest.objects.filter(pk=fr.pk).update(state="declined")
    fr.refresh_from_db()
    return fr
