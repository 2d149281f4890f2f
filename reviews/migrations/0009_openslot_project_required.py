"""OpenSlot.project required, and one row per (request, roles, scope).

Its own migration: on PostgreSQL the fill of 0008 leaves deferred foreign-key
checks pending, and a table with pending checks cannot be altered in the same
transaction. Ends with the rebuild of every open request's places (moved here
from 0007): it runs the current app code, so a later migration changing this
table must move it again, after itself.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    """The empty places of every open request (what beat's rebuild computes)."""
    from reviews.open_slots import open_slots_rebuild

    open_slots_rebuild()


class Migration(migrations.Migration):
    dependencies = [("reviews", "0008_openslot_project")]

    operations = [
        migrations.AlterField(
            model_name="openslot",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="projects.project",
            ),
        ),
        migrations.AddConstraint(
            model_name="openslot",
            constraint=models.UniqueConstraint(
                fields=("request", "roles", "scope"), name="openslot_one_per_request_slot"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
