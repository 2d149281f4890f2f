"""Append-only, hash-chained audit events.

Each chain (one per project, plus ``org`` for team and role changes) has a head
row in ``AuditChain``; appending locks the head, so sequence numbers never race.
An event's hash is an HMAC (keyed outside the database) over its content and the
previous hash: changing any event breaks every later link, which
``manage.py verify_audit`` reports. Updates and deletes are refused here and, on
PostgreSQL, by row triggers; TRUNCATE of both tables by a statement trigger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .project import Project


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Audit events are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("Audit events are append-only; they cannot be deleted.")


class AuditChain(models.Model):
    key = models.CharField(max_length=64, primary_key=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_seq}"


class AuditEvent(models.Model):
    chain = models.CharField(max_length=64)
    seq = models.PositiveBigIntegerField()
    project = models.ForeignKey(
        Project, on_delete=models.PROTECT, null=True, blank=True, related_name="audit_events"
    )
    kind = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # Id of the MLTRL_AUDIT_KEY that signed the hash; "" for events hashed before
    # the chain was keyed (plain SHA-256, accepted only before a chain's seal).
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="auditevent_unique_chain_seq")
        ]
        indexes = [models.Index(fields=["project", "kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit events are append-only; they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit events are append-only; they cannot be deleted.")
