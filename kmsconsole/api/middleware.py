"""Send AWS API requests straight to the endpoint, ahead of the console's middleware.

``POST /`` carries SigV4-signed AWS calls: sessions, CSRF, authentication cookies,
messages and htmx mean nothing to them, and running that stack on every KMS call costs
more CPU than the cryptography. This middleware sits first and answers those requests
itself; every other request continues through the stack unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .views import aws_endpoint


class AWSEndpointMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info == "/":
            return aws_endpoint(request)
        return self.get_response(request)
