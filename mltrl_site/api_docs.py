"""Swagger UI and Redoc for the API schema, from drf-spectacular-sidecar's static files.

Our templates carry no inline script or style (the Swagger initialiser is a
separate script the split view serves). Both UIs insert ``<style>`` elements
at run time (Redoc through styled-components, Swagger UI for its layout), so
these two views, and only they, add ``'unsafe-inline'`` to ``style-src``:
they show nothing but our own schema, and scripts stay limited to ``'self'``.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

_styles = method_decorator(csp_update({"style-src": ["'unsafe-inline'"]}), name="dispatch")


@_styles
class SwaggerView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


@_styles
class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"
