"""Script typed into any field people write comes back as text on every page showing it.

Plain fields (project name, description) are escaped by the templates; Markdown
fields (card sections, request reasons and debriefs, comments, sign-off
comments, waiver reasons) go through markdown-it (raw HTML off) and nh3.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from projects import services as project_services
from projects.markdown import markdown_render

from . import builders

PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(2)">a</a>',
    "<iframe src=//evil></iframe>",
    '"><svg onload=alert(3)>',
]
BAD_TAGS = {"script", "img", "iframe", "svg", "object", "embed", "style"}


class _Markup(HTMLParser):
    """Collects what the browser would treat as markup (tags and attributes), not text."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BAD_TAGS and not (tag == "script" and dict(attrs).get("src")):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"{tag} {name}={value}")


def assert_inert(body: str, where: str) -> None:
    """No tag or attribute that runs code (the page's own script tags load files)."""
    parser = _Markup()
    parser.feed(body)
    assert not parser.problems, (where, parser.problems)


def _xss_world(ui):
    payload = "\n\n".join(PAYLOADS)
    name = PAYLOADS[0] + " model"
    project_services.project_update(
        project=ui.vision, name=name, description=PAYLOADS[1], actor=ui.org.researcher
    )
    project_services.card_update(
        project=ui.vision,
        actor=ui.org.researcher,
        tldr=payload,
        caveats=PAYLOADS[2],
        ethics_checklist_status=PAYLOADS[5],
    )
    builders.withdraw(ui.request, ui.org.researcher)
    request = builders.open_advance(
        ui.org, ui.vision, reason=payload, debrief={"done": payload, "learned": PAYLOADS[3]}
    )
    builders.comment(request, ui.org.eng, payload)
    builders.sign(ui.org, request, "prod", comment=payload)
    builders.sign(ui.org, request, "ethicist", "request_changes", tasks=[PAYLOADS[4]], comment="c")
    builders.waive(ui.org, ui.vision, "licence", "lead", payload)
    return request


def test_user_written_fields_are_inert_on_every_page(ui, client):
    request = _xss_world(ui)
    pages = [
        reverse("reviews:home"),
        reverse("projects:list"),
        reverse("projects:detail", args=["vision"]),
        reverse("projects:card", args=["vision"]),
        reverse("projects:card_compare", args=["vision"]) + "?from=1&to=2",
        reverse("reviews:list"),
        reverse("reviews:detail", args=[request.pk]),
        reverse("reviews:checks", args=[request.pk]),
        reverse("reviews:project_requests", args=["vision"]),
        reverse("gates:project_repository", args=["vision"]),
        reverse("teams:detail", args=["research"]),
    ]
    for who in ("researcher", "prod"):
        client.force_login(ui.org.users[who])
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert_inert(response.content.decode(), url)
    # and the payloads are still there, as text
    client.force_login(ui.org.researcher)
    body = client.get(reverse("reviews:detail", args=[request.pk])).content.decode()
    assert "&lt;script&gt;alert(" in body


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_render_never_passes_markup(payload):
    assert_inert(str(markdown_render(payload)), payload)


def test_markdown_keeps_the_formatting_people_use():
    html = str(markdown_render("# Title\n\n*a* **b** `c`\n\n- one\n- two\n\n[doc](https://x.org)"))
    assert "<h3>Title</h3>" in html  # the page owns h1 and h2
    assert "<em>a</em>" in html and "<strong>b</strong>" in html and "<code>c</code>" in html
    assert "<li>one</li>" in html
    assert 'href="https://x.org"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert str(markdown_render("")) == "" and str(markdown_render(None)) == ""


@pytest.mark.parametrize(
    "live",
    ['<p><img src=x onerror="a()"></p>', '<a href=" javascript:x()">x</a>', "<script>a()</script>"],
)
def test_the_checker_catches_live_markup(live):
    """The checker above would fail a page that let markup through."""
    with pytest.raises(AssertionError):
        assert_inert(live, "probe")
    assert_inert("<p>&lt;script&gt;</p><script src=/static/x.js></script>", "escaped")
