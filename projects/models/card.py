"""The living MLTRL card of a project and its immutable versions.

The card's prose sections are edited freely; a ``CardVersion`` freezes the whole
card (summary included) at every level change so two levels can be compared.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .project import Project


class CardSection(models.TextChoices):
    """Editable prose sections, in the order the card shows them."""

    TLDR = "tldr", "TL;DR"
    REQUIREMENTS = "requirements", "Top-level requirements"
    PITCH = "pitch", "Model / algorithm pitch"
    INTENDED_USES = "intended_uses", "Intended uses"
    UNACCEPTABLE_USES = "unacceptable_uses", "Unacceptable uses"
    TESTING_STATUS = "testing_status", "Testing status"
    DATA_CONSIDERATIONS = "data_considerations", "Data considerations"
    CAVEATS = "caveats", "Caveats, edge cases, known debt"


class MLTRLCard(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="card")
    project_page = models.URLField(blank=True)
    requirements_doc = models.CharField(max_length=300, blank=True)
    vv_doc = models.CharField("V&V document", max_length=300, blank=True)
    ethics_checklist_status = models.CharField(max_length=200, blank=True)
    tldr = models.TextField("TL;DR", blank=True)
    requirements = models.TextField(
        blank=True, help_text='Numbered "shall" statements, one per line.'
    )
    pitch = models.TextField(blank=True)
    intended_uses = models.TextField(blank=True)
    unacceptable_uses = models.TextField(blank=True)
    testing_status = models.TextField(blank=True)
    data_considerations = models.TextField(blank=True)
    caveats = models.TextField(blank=True)
    debriefs = models.JSONField(
        default=list,
        blank=True,
        help_text="Stage debriefs, appended at each level change: done, punted, learned, debt.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"MLTRL card of {self.project}"


class CardVersion(models.Model):
    """A frozen copy of the card, taken at every level change."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="card_versions")
    number = models.PositiveIntegerField()
    level = models.PositiveSmallIntegerField()
    content = models.JSONField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="cardversion_unique_project_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} card v{self.number} (level {self.level})"
