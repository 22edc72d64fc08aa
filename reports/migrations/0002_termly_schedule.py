"""Kept for the migration graph. The termly schedule itself lives with the portal's
other periodic jobs in settings.CELERY_BEAT_SCHEDULE."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = []
