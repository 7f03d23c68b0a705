"""Routes of the classroom, mounted at /classes/ under the ``classroom`` namespace."""

from django.urls import path

from .views import classes, drills, joining, live, results

app_name = "classroom"

urlpatterns = [
    path("", classes.classes_home, name="home"),
    path("new/", classes.class_new, name="new"),
    path("join/", joining.join, name="join"),
    path("join/<str:code>/", joining.join_code, name="join-code"),
    path("broadcasts/", live.broadcasts, name="broadcasts"),
    path("<int:classroom_id>/", classes.class_page, name="class"),
    path("<int:classroom_id>/provisioning/", classes.provisioning, name="provisioning"),
    path("<int:classroom_id>/provisioning/retry/", classes.provisioning_retry, name="provisioning-retry"),
    path("<int:classroom_id>/close/", classes.close, name="close"),
    path("<int:classroom_id>/board/", live.board, name="board"),
    path("<int:classroom_id>/broadcast/", live.broadcast, name="broadcast"),
    path("<int:classroom_id>/clock/", live.clock, name="clock"),
    path("<int:classroom_id>/students/<int:enrollment_id>/", live.student_workspace, name="student"),
    path("<int:classroom_id>/my-workspace/", live.my_workspace, name="my-workspace"),
    path("<int:classroom_id>/incidents/", drills.incidents, name="incidents"),
    path("<int:classroom_id>/results/", results.results, name="results"),
    path("<int:classroom_id>/results.csv", results.results_csv, name="results-csv"),
    path("<int:classroom_id>/results.json", results.results_json, name="results-json"),
]
