"""Console pages. The full console arrives with its own issue; for now the landing page
tells a newcomer how to point the aws CLI and boto3 at this server."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    endpoint = request.build_absolute_uri("/").rstrip("/")
    return render(request, "console/home.html", {"endpoint": endpoint})
