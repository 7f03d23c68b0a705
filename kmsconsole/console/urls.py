"""Console routes. Each area of the console has its own module of routes."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import home

app_name = "console"

urlpatterns = [
    path("dashboard/", home.dashboard, name="dashboard"),
    path("signup/", home.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("workspaces/new/", home.workspace_new, name="workspace-new"),
    path("context/", home.switch_context, name="switch-context"),
    path("", include("kmsconsole.console.urls_tools")),
    path("", include("kmsconsole.console.urls_keys")),
    path("", include("kmsconsole.console.urls_insight")),
]
