"""The LA's starting wording of the decision letters, one per outcome (an LA SEND officer
rewords them in the portal). The words are the portal's defaults, read from the code so
a new install starts from the current wording."""

from django.db import migrations


def seed(apps, schema_editor):
    from panels.letters import DEFAULT_TEMPLATES

    LetterTemplate = apps.get_model("panels", "LetterTemplate")
    for outcome, (subject, body) in DEFAULT_TEMPLATES.items():
        LetterTemplate.objects.get_or_create(
            outcome=str(outcome), defaults={"subject": subject, "body": body}
        )


def unseed(apps, schema_editor):
    apps.get_model("panels", "LetterTemplate").objects.filter(updated_by__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("panels", "0006_follow_ups_and_letters")]

    operations = [migrations.RunPython(seed, unseed)]
