"""URL routes. ``POST /`` is the AWS endpoint (what ``--endpoint-url`` expects), answered
by ``AWSEndpointMiddleware`` before the console's middleware; the route below serves the
same view for completeness. A browser's ``GET /`` lands in the console."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from kmsconsole.api.views import aws_endpoint
from kmsconsole.console.views.home import home


@csrf_exempt
def root(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return aws_endpoint(request)
    return home(request)


urlpatterns = [
    path("", root, name="root"),
    path("admin/", admin.site.urls),
    path("labs/", include("labs.urls")),
    path("classes/", include("kmsconsole.classroom.urls")),
    path("", include("kmsconsole.console.urls")),
]
