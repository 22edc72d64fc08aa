"""Error reports to Sentry, only when ``SENTRY_DSN`` is set (docs/architecture.md §12).

Never any pupil data: ``send_default_pii`` off (no user names, emails, IPs or
cookies), no request bodies and no stack frames' local variables, and every event
through :func:`portal.scrub.before_send` (pupil fields by key, query strings,
cookies and bodies dropped) on its way out.
"""

from __future__ import annotations


def init(*, dsn: str, environment: str, release: str | None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    from .scrub import before_send

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=before_send,
        # Errors only: no performance traces (they carry URLs and SQL).
        traces_sample_rate=0.0,
    )
