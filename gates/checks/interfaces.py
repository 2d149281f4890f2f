"""Checks that the project's interface is written down: interface docs (5-6), API docs (6-7).

- interface_docs passes on the first of: ``[paths] interface_docs`` (when set,
  only it counts); docs/interface.md, docs/interfaces.md, INTERFACE.md,
  docs/api.md, API.md, docs/usage.md (with >= 10 words); an OpenAPI / Swagger
  spec (``openapi*.yaml|yml|json``, ``swagger*.*``); a gRPC ``.proto`` or
  GraphQL schema file; a README section titled Usage, API, Interface or
  "How to use" with some text.
- api_docs passes on the first of: ``[paths] api_docs`` (a file, or a folder
  holding files; when set, only it counts); an OpenAPI / Swagger spec; pages
  under docs/api/ (or doc/api/) or a docs/**/api.md|rst page; mkdocs.yml that
  uses mkdocstrings or lists an api page; a Sphinx docs/conf.py (also
  doc/, docs/source/) with autodoc / autosummary / autoapi or api pages.
"""

from __future__ import annotations

import re

from .base import CheckContext, CheckOutput, failed, passed
from .common import VENDORED, WORD, capped, check, doc_names, locate, outline, plural
from .documents import README_NAMES

SPEC = re.compile(r"(^|/)(openapi|swagger)[\w.-]*\.(ya?ml|json)$", re.I)
SCHEMA = re.compile(r"(\.proto|(^|/)schema\.graphqls?|\.graphqls)$", re.I)
INTERFACE_NAMES = doc_names(
    "docs/interface", "docs/interfaces", "INTERFACE", "docs/api", "API", "docs/usage"
)
USAGE_HEADING = re.compile(r"\b(usage|api|interfaces?|how to use)\b", re.I)
MIN_DOC_WORDS = 10


def _specs(ctx: CheckContext) -> list[str]:
    return [p for p in ctx.find(SPEC) if not VENDORED.search(p)]


@check("interface_docs", "Interface documented", level=5)
def interface_docs(ctx: CheckContext) -> CheckOutput:
    """The model's interface is documented: a doc page, an API spec or a README usage section."""
    found = locate(ctx, "interface_docs", INTERFACE_NAMES)
    if found.configured and found.path is None:
        return failed(
            f"{found.problem}.",
            "Fix [paths] interface_docs in .mltrl.toml or add that file.",
            configured=found.configured,
        )
    if found.path is not None:
        words = len(WORD.findall(ctx.text(found.path) or ""))
        if words >= MIN_DOC_WORDS:
            return passed(
                f"The interface is documented in {found.path}.", kind="document", path=found.path
            )
        if found.configured:
            return failed(
                f"{found.path} is nearly empty ({plural(words, 'word')}).",
                f"Describe the inputs, outputs and errors of the interface in {found.path}.",
                path=found.path,
            )
    specs = _specs(ctx)
    if specs:
        return passed(
            f"The interface is described by {specs[0]}.",
            kind="api_spec",
            paths=capped(specs),
            count=len(specs),
        )
    schemas = [p for p in ctx.find(SCHEMA) if not VENDORED.search(p)]
    if schemas:
        return passed(
            f"The interface is defined in {schemas[0]}.",
            kind="schema",
            paths=capped(schemas),
            count=len(schemas),
        )
    readme = locate(ctx, "readme", README_NAMES)
    too_short = False
    if readme.path:
        heading, too_short = outline(ctx.text(readme.path) or "").find(USAGE_HEADING, min_words=5)
        if heading:
            return passed(
                f"{readme.path} documents the interface under '{heading.title}'.",
                kind="readme_section",
                path=readme.path,
                heading=heading.title,
                line=heading.line,
            )
    short = f" {readme.path} has a usage section, but with fewer than 5 words." if too_short else ""
    return failed(
        f"The project's interface is not documented.{short}",
        "Add docs/interface.md describing inputs, outputs and errors (or an openapi.yaml, "
        "or a '## Usage' section in the README with an example call).",
        looked_for=["docs/interface.md", "docs/api.md", "INTERFACE.md", "openapi.yaml", "README"],
    )


API_FOLDER = re.compile(r"(^|/)docs?/(.*/)?api/[^/]+\.(md|markdown|rst|html?|txt|ipynb)$", re.I)
API_PAGE = re.compile(r"(^|/)docs?/(.*/)?api(-?reference)?\.(md|markdown|rst)$", re.I)
SPHINX_CONF = re.compile(r"^docs?/(source/)?conf\.py$", re.I)
SPHINX_API = re.compile(r"autodoc|autosummary|autoapi|automodule|autoclass|autofunction")
DOC_PAGE = re.compile(r"^docs?/.+\.(rst|md)$", re.I)


def _under(ctx: CheckContext, configured: str) -> list[str]:
    prefix = configured.rstrip("/").lower()
    return [p for p in ctx.files() if p.lower() == prefix or p.lower().startswith(prefix + "/")]


@check("api_docs", "API documentation", level=6)
def api_docs(ctx: CheckContext) -> CheckOutput:
    """API reference docs: an OpenAPI spec, docs/api/ pages, or Sphinx / MkDocs API pages."""
    configured = ctx.config.path("api_docs")
    if configured:
        paths = sorted(_under(ctx, configured))
        if not paths:
            return failed(
                f".mltrl.toml [paths] names {configured}, which is not a file or folder here.",
                "Fix [paths] api_docs in .mltrl.toml or add the API docs there.",
                configured=configured,
            )
        return passed(
            f"API docs are in {configured}.",
            kind="configured",
            paths=capped(paths),
            count=len(paths),
        )
    specs = _specs(ctx)
    if specs:
        return passed(f"The API is described by {specs[0]}.", kind="api_spec", paths=capped(specs))
    pages = [p for p in ctx.find(API_FOLDER) if not VENDORED.search(p)] or ctx.find(API_PAGE)
    if pages:
        return passed(
            f"API reference pages found ({plural(len(pages), 'page')}, e.g. {pages[0]}).",
            kind="api_pages",
            paths=capped(pages),
            count=len(pages),
        )
    mkdocs = locate(ctx, None, ["mkdocs.yml", "mkdocs.yaml"]).path
    if mkdocs:
        text = ctx.text(mkdocs) or ""
        if "mkdocstrings" in text or re.search(r"\bapi\b[\w/-]*\.md", text, re.I):
            return passed(f"{mkdocs} builds API reference pages.", kind="mkdocs", path=mkdocs)
    conf = next(iter(ctx.find(SPHINX_CONF)), None)
    if conf:
        if SPHINX_API.search(ctx.text(conf) or ""):
            return passed(
                f"Sphinx ({conf}) generates API docs with autodoc.", kind="sphinx", path=conf
            )
        for path, text in ctx.snapshot.iter_texts(ctx.find(DOC_PAGE)):
            if SPHINX_API.search(text):
                return passed(
                    f"Sphinx API pages found ({path}).", kind="sphinx", path=conf, page=path
                )
    return failed(
        "No API documentation was found.",
        "Publish an OpenAPI spec (openapi.yaml) or API reference pages under docs/api/ "
        "(Sphinx autodoc or mkdocstrings), or set [paths] api_docs in .mltrl.toml.",
        looked_for=["openapi.yaml", "swagger.json", "docs/api/", "mkdocs.yml", "docs/conf.py"],
    )
