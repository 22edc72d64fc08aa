"""Cross-cutting records: who viewed pupil data, and what each user was told."""

from django.conf import settings
from django.db import models


class ViewAudit(models.Model):
    """One read of pupil data (a page, a download, an export, an API answer). Append-only."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=40)  # e.g. "view", "download", "export"
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40, blank=True)
    detail = models.CharField(max_length=255, blank=True)
    path = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]


class Notification(models.Model):
    """An in-app notification; the same text is emailed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"])]


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker ran the heartbeat task that beat sends every
    minute (portal.tasks.worker_heartbeat): the readiness check's proof that beat, the
    broker and at least one worker are all working (docs/architecture.md §12)."""

    worker = models.CharField(max_length=200, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
