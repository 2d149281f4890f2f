"""URLs for benchmarks/api_throughput.py: the site plus two bare views.

The bare views run the same queries as the API endpoints and return the same
rows as JSON with ``JsonResponse``: no DRF, no serializers, no throttling; they
authenticate the same token. The difference is what the API framework costs.
"""

from django.http import JsonResponse
from django.urls import include, path

from reviews.selectors_gate import gate_answer


def bare_projects(request):
    from projects.permissions import projects_for

    page = int(request.GET.get("page", 1))
    qs = (
        projects_for(request.user)
        .select_related("team")
        .prefetch_related("components")
        .order_by("slug")
    )
    count = qs.count()
    rows = [
        {
            "slug": p.slug,
            "name": p.name,
            "description": p.description,
            "team": p.team.slug,
            "level": p.level,
            "entry_level": p.entry_level,
            "evidence_level": p.evidence_level,
            "system_level": min([p.level, *(c.level for c in p.components.all())]),
            "status": p.status,
            "repository_url": p.repository_url,
            "default_branch": p.default_branch,
            "components": sorted(c.slug for c in p.components.all()),
            "created_at": p.created_at.isoformat(),
            "updated_at": p.updated_at.isoformat(),
        }
        for p in qs[(page - 1) * 50 : page * 50]
    ]
    return JsonResponse({"count": count, "results": rows})


def bare_gate(request, slug):
    from projects.permissions import projects_for

    project = projects_for(request.user).get(slug=slug)
    answer = gate_answer(
        project=project, level=int(request.GET["level"]), commit_sha=request.GET["commit"]
    )
    body = {"project": project.slug, **answer.__dict__}
    body["items"] = [i.__dict__ for i in answer.items]
    return JsonResponse(body)


def _bare_auth(view):
    """Session-free identity: the bare views authenticate the same token (one query)."""
    from projects.tokens import token_authenticate

    def wrapped(request, *args, **kwargs):
        raw = request.headers.get("Authorization", "").removeprefix("Bearer ")
        token = token_authenticate(raw, address=request.META.get("REMOTE_ADDR"))
        if token is None:
            return JsonResponse({"code": "not_authenticated"}, status=401)
        request.user = token.user
        return view(request, *args, **kwargs)

    return wrapped


urlpatterns = [
    path("bare/projects/", _bare_auth(bare_projects)),
    path("bare/projects/<slug:slug>/gate/", _bare_auth(bare_gate)),
    path("", include("mltrl_site.urls")),
]
