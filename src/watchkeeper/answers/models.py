from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MatcherModel(models.Model):
    """A trained FAQ matcher, stored so every server process loads the same one."""

    created_at = models.DateTimeField(auto_now_add=True)
    data = models.BinaryField()
    article_count = models.PositiveIntegerField(default=0)
    example_count = models.PositiveIntegerField(default=0)
    training_seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("FAQ matcher model")
        verbose_name_plural = _("FAQ matcher models")

    def __str__(self) -> str:
        return f"matcher {self.pk} ({self.article_count} articles, {self.example_count} examples)"
