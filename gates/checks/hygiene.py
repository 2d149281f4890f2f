"""Repository hygiene: a licence and no oversized files.

- licence: LICENSE / LICENCE / COPYING at the root (any extension or suffix,
  e.g. LICENSE.md, LICENSE-MIT), not empty; the licence is named when its text
  (or an SPDX-License-Identifier line) is recognisable.
- no_oversized_files: files not downloaded because they are over the fetch
  cap (size unknown), or larger than ``max_file_bytes``, fail.
"""

from __future__ import annotations

import re

from ..observed import note_all_content
from .base import CheckContext, CheckOutput, failed, passed, warned
from .cards import front_matter
from .common import capped, check, locate, plural
from .documents import README_NAMES

# --- licence --------------------------------------------------------------------------

LICENCE_FILE = re.compile(r"^(licen[cs]e|copying)([-._][\w.-]*)?$", re.I)
SPDX = re.compile(r"SPDX-License-Identifier:\s*([\w.+-]+)")
KNOWN_LICENCES: list[tuple[str, tuple[str, ...]]] = [
    ("AGPL-3.0", ("gnu affero general public license",)),
    ("LGPL-3.0", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1", ("gnu lesser general public license",)),
    ("GPL-3.0", ("gnu general public license", "version 3")),
    ("GPL-2.0", ("gnu general public license", "version 2")),
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software",)),
    ("Unlicense", ("free and unencumbered software released into the public domain",)),
    ("BSL-1.0", ("boost software license",)),
    ("EPL-2.0", ("eclipse public license",)),
    ("CC0-1.0", ("cc0 1.0 universal",)),
    ("CC-BY-4.0", ("creative commons attribution 4.0",)),
    ("Creative Commons", ("creative commons",)),
]


def licence_name(text: str) -> str | None:
    spdx = SPDX.search(text)
    if spdx:
        return spdx.group(1)
    flat = " ".join(text.lower().split())
    for name, phrases in KNOWN_LICENCES:
        if all(p in flat for p in phrases):
            return name
    return None


FRONT_MATTER_LICENCE = re.compile(r"^licen[cs]e:\s*[\"']?([\w.+-]+)", re.I | re.M)


def _declared_licence(ctx: CheckContext) -> tuple[str, str] | None:
    """(README path, licence id) when a model or dataset card's front matter names one."""
    readme = locate(ctx, "readme", README_NAMES)
    if readme.path is None:
        return None
    found = FRONT_MATTER_LICENCE.search(front_matter(ctx.text(readme.path) or ""))
    return (readme.path, found.group(1)) if found else None


@check("licence", "Licence", level=3)
def licence(ctx: CheckContext) -> CheckOutput:
    """A licence file at the root says under which terms the code may be used."""
    paths = sorted(
        (p for p in ctx.files() if "/" not in p and LICENCE_FILE.match(p)),
        key=lambda p: (len(p), p),
    )
    if not paths:
        declared = _declared_licence(ctx)
        seen = (
            f" {declared[0]}'s front matter says 'license: {declared[1]}', which names a "
            "licence but is not its text."
            if declared
            else ""
        )
        return failed(
            f"The repository has no licence file.{seen}",
            "Add a LICENSE file at the root with the licence your organisation chose "
            "(e.g. the text of Apache-2.0 or MIT, or your proprietary terms).",
            looked_for=["LICENSE", "LICENCE", "COPYING", "LICENSE.md", "LICENSE.txt"],
            **({"front_matter_licence": declared[1]} if declared else {}),
        )
    texts = {p: ctx.text(p) for p in paths}
    filled = [p for p in paths if texts[p] and texts[p].strip()]
    if not filled:
        unreadable = [p for p in paths if texts[p] is None]
        if unreadable:
            return warned(
                f"{unreadable[0]} could not be read (it is over the size limit).",
                f"Keep {unreadable[0]} a plain text licence.",
                paths=paths,
            )
        return failed(
            f"{paths[0]} is empty.",
            f"Put the full licence text in {paths[0]}.",
            paths=paths,
        )
    names = [licence_name(texts[p]) for p in filled]
    known = list(dict.fromkeys(n for n in names if n))
    return passed(
        f"Licensed under {', '.join(known)} ({filled[0]})."
        if known
        else f"{filled[0]} is present (licence not recognised).",
        path=filled[0],
        paths=paths,
        licence=", ".join(known) if known else None,
    )


# --- no_oversized_files ---------------------------------------------------------------


def _fetch_cap(ctx: CheckContext) -> int | None:
    limits = getattr(getattr(ctx.snapshot, "mirror", None), "limits", None)
    return getattr(limits, "max_blob_bytes", None)


OVERSIZED_STATE = "no_oversized_files"


def _large_files(ctx: CheckContext, limit: int) -> dict[str, int | None]:
    """Files over ``limit`` or not downloaded (size None), by path.

    Incremental like the secret scan: with the paths changed since the commit the
    stored state is true of, only those are looked at again; else every file.
    """
    files = ctx.files()
    previous = ctx.store.previous_state(OVERSIZED_STATE) if ctx.changes is not None else None
    if previous is not None and previous.get("limit") == limit:
        note_all_content()  # the result still depends on every file's size
        large = {path: size for path, size in previous["large"]}
        for path in ctx.changes:
            large.pop(path, None)
        paths = [p for p in ctx.changes if p in files]
    else:
        large, paths = {}, files
    for path in paths:
        size = files[path].size
        if size is None or size > limit:
            large[path] = size
    ctx.store.keep_state(OVERSIZED_STATE, {"limit": limit, "large": sorted(large.items())})
    return large


@check("no_oversized_files", "No oversized files", level=3)
def no_oversized_files(ctx: CheckContext) -> CheckOutput:
    """No file is too large for the repository (data and weights belong elsewhere)."""
    limit = ctx.config.threshold("max_file_bytes")
    cap = _fetch_cap(ctx)
    large = list(_large_files(ctx, limit).items())
    evidence = {"max_file_bytes": limit, "fetch_cap_bytes": cap}
    if not large:
        return passed(f"No file is larger than {limit:,} bytes.", **evidence)
    large.sort(key=lambda item: (item[1] is not None, -(item[1] or 0), item[0]))
    listed = [
        {"path": p, "size": size if size is not None else "over the fetch cap"}
        for p, size in capped(large)
    ]
    first, size = large[0]
    why = "over the fetch cap" if size is None else f"{size:,} bytes"
    return failed(
        f"{plural(len(large), 'file')} {'is' if len(large) == 1 else 'are'} too large to keep "
        f"in git (largest: {first}, {why}).",
        "Move large files out of git: track them with Git LFS or DVC, or keep them in "
        "external storage (object store, dataset registry) and commit a pointer or a "
        "download script instead.",
        **evidence,
        files=listed,
        count=len(large),
    )
