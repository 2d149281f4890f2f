"""Project pages (namespace ``projects``)."""

from django.urls import path

from . import views, views_write

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("<slug:slug>/", views.project_detail, name="detail"),
    path("<slug:slug>/ladder/", views_write.ladder_fragment, name="ladder"),
    path("<slug:slug>/card/", views.card_detail, name="card"),
    path("<slug:slug>/card/edit/<slug:part>/", views_write.card_edit, name="card_edit"),
    path("<slug:slug>/card/v<int:number>/", views.card_version, name="card_version"),
    path("<slug:slug>/card/compare/", views.card_compare, name="card_compare"),
    path("<slug:slug>/card/export.md", views.card_export, {"fmt": "md"}, name="card_export_md"),
    path(
        "<slug:slug>/card/export.json", views.card_export, {"fmt": "json"}, name="card_export_json"
    ),
]
