"""Project write pages: edit the MLTRL card section by section; the ladder fragment.

Card edits go through ``projects.services.card_update`` (locks, permission,
audit); a refusal comes back as a form error in the service's words. The
ladder fragment lets the project page move the ladder without a reload when
the requests panel (served by ``reviews``) reports a level change.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from .models import CardSection, MLTRLCard
from .permissions import Action, project_for
from .selectors_pages import project_ladder
from .services import card_update

MAX_TEXT = 20_000
LINKS = "links"
# Card parts a user edits on one page each: the prose sections, and the links.
LINK_FIELDS = ("project_page", "requirements_doc", "vv_doc", "ethics_checklist_status")
CARD_PARTS = {s.value: s.label for s in CardSection} | {LINKS: "Links and status"}


def card_part_form(part: str, data=None, initial=None) -> forms.Form:
    """A form with the fields of one card part, labelled as the card labels them."""
    form = forms.Form(data, initial=initial)
    names = LINK_FIELDS if part == LINKS else (part,)
    for name in names:
        model_field = MLTRLCard._meta.get_field(name)
        long = isinstance(model_field, type(MLTRLCard._meta.get_field("tldr")))
        form.fields[name] = forms.CharField(
            label=str(model_field.verbose_name).capitalize() if part == LINKS else CARD_PARTS[part],
            required=False,
            max_length=MAX_TEXT if long else model_field.max_length,
            widget=forms.Textarea({"rows": 10}) if long else forms.TextInput,
            help_text="Markdown." if long else "",
        )
    return form


@require_http_methods(["GET", "POST"])
@login_required
def card_edit(request: HttpRequest, slug: str, part: str) -> HttpResponse:
    project = project_for(request.user, Action.CHANGE, slug=slug)
    if part not in CARD_PARTS:
        raise Http404("No such card part.")
    card = MLTRLCard.objects.get(project=project)
    names = LINK_FIELDS if part == LINKS else (part,)
    form = card_part_form(
        part,
        request.POST if request.method == "POST" else None,
        {n: getattr(card, n) for n in names},
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                card_update(project=project, actor=request.user, **form.cleaned_data)
                return redirect("projects:card", project.slug)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except ValidationError as exc:
                for name, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
                    for message in errors:
                        form.add_error(name if name in form.fields else None, message)
    return render(
        request,
        "projects/card_edit.html",
        {"project": project, "form": form, "part": part, "part_label": CARD_PARTS[part]},
        status=status,
    )


@require_GET
@login_required
def ladder_fragment(request: HttpRequest, slug: str) -> HttpResponse:
    """The level ladder alone (htmx swaps it in when the level changed), or as a page."""
    project = project_for(request.user, Action.VIEW, slug=slug)
    template = "projects/_ladder.html" if request.htmx else "projects/ladder_page.html"
    return render(request, template, {"project": project, "ladder": project_ladder(project)})
