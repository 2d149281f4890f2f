"""Webhook pages of a project (namespace ``webhooks``, under ``/projects/<slug>/webhooks/``)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.project_webhooks, name="project"),
    path("<int:pk>/delete/", views.subscription_delete, name="delete"),
    path("deliveries/<int:pk>/redeliver/", views.delivery_redeliver, name="redeliver"),
]
