"""OpenSlot carries its request's project (filled here; required from 0009).

Rows of requests no longer open are dropped (transitions now remove them); the
copy of the project is filled from the request in SQL; duplicate (roles, scope)
rows of one request keep their first (the beat rebuild adds their places up).
"""

import django.db.models.deletion
from django.db import migrations, models

FILL = [
    "DELETE FROM reviews_openslot WHERE request_id IN ("
    " SELECT id FROM reviews_levelchangerequest WHERE state <> 'open')",
    "UPDATE reviews_openslot SET project_id = ("
    " SELECT r.project_id FROM reviews_levelchangerequest r"
    " WHERE r.id = reviews_openslot.request_id)",
    "DELETE FROM reviews_openslot WHERE EXISTS ("
    " SELECT 1 FROM reviews_openslot b WHERE b.request_id = reviews_openslot.request_id"
    " AND b.roles = reviews_openslot.roles AND b.scope = reviews_openslot.scope"
    " AND b.id < reviews_openslot.id)",
]


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0007_level_stays"),
        ("reviews", "0007_open_slots"),
    ]

    operations = [
        migrations.AddField(
            model_name="openslot",
            name="project",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="projects.project",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
