"""Routes of the labs, mounted at /labs/ under the ``labs`` namespace."""

from django.urls import path

from . import views

app_name = "labs"

urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("certificates/<str:code>/", views.certificate, name="certificate"),
    path("<slug:slug>/", views.lab_page, name="lab"),
    path("<slug:slug>/start/", views.start, name="start"),
    path("<slug:slug>/reset/", views.reset, name="reset"),
    path("<slug:slug>/console/", views.use_workspace, name="use-workspace"),
    path("<slug:slug>/check/", views.check, name="check"),
    path("<slug:slug>/progress/", views.progress, name="progress"),
    path("<slug:slug>/panel/", views.panel, name="panel"),
    path("<slug:slug>/steps/<slug:step_id>/hint/", views.hint, name="hint"),
    path("<slug:slug>/steps/<slug:step_id>/submission/", views.submission, name="submission"),
    path("<slug:slug>/quiz/", views.quiz, name="quiz"),
    path("<slug:slug>/complete/", views.complete, name="complete"),
]
