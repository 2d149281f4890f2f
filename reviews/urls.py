"""Review pages (namespace ``reviews``): home, requests, the review page and its fragments."""

from django.urls import path

from . import views, views_actions, views_fragments, views_new_project, views_open

app_name = "reviews"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("reviews/", views.request_list, name="list"),
    path("reviews/<int:pk>/", views.request_detail, name="detail"),
    path("reviews/<int:pk>/checks/", views.request_checks, name="checks"),
    path("projects/new/", views_new_project.project_new, name="project_new"),
    path("reviews/<int:pk>/status/", views.request_status, name="status"),
    path("reviews/<int:pk>/signoff/", views_actions.signoff, name="signoff"),
    path("reviews/<int:pk>/comment/", views_actions.comment, name="comment"),
    path("reviews/<int:pk>/withdraw/", views_actions.withdraw, name="withdraw"),
    path("reviews/<int:pk>/submit/", views_actions.submit, name="submit"),
    path("reviews/<int:pk>/resubmit/", views_actions.resubmit, name="resubmit"),
    path("reviews/<int:pk>/rerun/", views_actions.rerun, name="rerun"),
    path("reviews/<int:pk>/waivers/new/", views_actions.waiver_new, name="waiver_new"),
    path(
        "reviews/<int:pk>/waivers/<int:waiver_pk>/revoke/",
        views_actions.waiver_revoke_view,
        name="waiver_revoke",
    ),
    path("projects/<slug:slug>/requests/advance/", views_open.advance, name="open_advance"),
    path(
        "projects/<slug:slug>/requests/switchback/",
        views_open.switchback,
        name="open_switchback",
    ),
    path(
        "projects/<slug:slug>/requests/",
        views_fragments.project_requests_fragment,
        name="project_requests",
    ),
]
