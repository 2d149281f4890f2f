"""The sentences a researcher reads when fetching their repository fails.

``gates.gitcli`` classifies git's stderr into a kind (``classify``); the
mirror then names what it was asked for (``explain``: the URL, the branch and
the branches that exist, the host); the task that gives up after the last
retry says what happened, to which host, after how many tries over how long,
and what to do (``gave_up_message``). Every final message names what failed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from django.utils import timezone

MAX_BRANCHES_SHOWN = 10

# (kind, transient, what happened, stderr fragments) - the first kind whose fragment
# occurs wins, so a transfer cut part-way is told apart from a server never reached.
_AUTH = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "returned error: 401",
    "returned error: 403",
    "host key verification failed",
)
_NOT_FOUND = (
    "repository not found",
    "no such repository",
    "not exported",
    "does not appear to be a git repository",
    "returned error: 404",
    "not found",
    "no such file or directory",
)
_TRANSFER_CUT = (
    "early eof",
    "unexpected disconnect while reading sideband packet",
    "transfer closed with outstanding read data remaining",
    "the remote end hung up unexpectedly",
    "index-pack failed",
    "invalid index-pack output",
    "connection reset",
    "rpc failed",
    "protocol error: bad pack header",
)
_UNREACHABLE = {
    "could not resolve host": "its name does not resolve (DNS lookup failed)",
    "connection refused": "it refused the connection (nothing is listening on that port)",
    "couldn't connect to server": "it refused the connection or did not answer",
    "failed to connect": "it refused the connection or did not answer",
    "unable to connect": "it refused the connection or did not answer",
    "connection timed out": "the connection timed out",
    "no route to host": "there is no network route to it",
    "network is unreachable": "the network is unreachable",
    "operation too slow": "it sent data too slowly and the transfer was abandoned",
    "returned error: 5": "it answered with a server error (HTTP 5xx)",
    "unable to access": "it could not be reached",
}


def host_of(url: str) -> str:
    """The host (and port, when not the default) a repository URL names."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return "the local file system"
    host = parts.hostname or url
    return f"{host}:{parts.port}" if parts.port else host


def classify(stderr: str) -> tuple[str, str, bool]:
    """(kind, message without context, transient) for git's stderr."""
    text = stderr.lower()
    if "couldn't find remote ref" in text or "invalid refspec" in text:
        return "ref_not_found", "The branch does not exist in the repository.", False
    if any(s in text for s in _AUTH):
        return (
            "auth_required",
            "The repository needs authentication; this server only reads public repositories "
            "(or ask an administrator to configure access).",
            False,
        )
    if any(s in text for s in _NOT_FOUND):
        return "not_found", "The repository was not found at that URL.", False
    if "returned error: 30" in text or "redirect" in text:
        return (
            "redirect_refused",
            "The server answered with a redirect; redirects are not followed. "
            "Link the repository's final URL instead.",
            False,
        )
    # Connection-level causes and server errors first: git adds "RPC failed" to those
    # too; only then is a broken transfer told by its own words. "unable to access"
    # prefixes every curl error, so it is the last resort.
    for fragment, why in _UNREACHABLE.items():
        if fragment in text and fragment != "unable to access":
            return "network", f"The repository server could not be reached: {why}.", True
    if any(s in text for s in _TRANSFER_CUT):
        return (
            "transfer_cut",
            "The transfer was cut off part-way: the connection closed before the whole "
            "repository arrived.",
            True,
        )
    if "unable to access" in text:
        why = _UNREACHABLE["unable to access"]
        return "network", f"The repository server could not be reached: {why}.", True
    return "git_failed", "git could not read the repository.", False


def explain(
    error,
    *,
    url: str,
    branch: str | None = None,
    branches: Callable[[], list[str]] | None = None,
    timeout_s: float | None = None,
):
    """Name what the failed fetch was asked for in ``error.message`` (returns ``error``).

    ``branches()`` lists the repository's branches, the default first; it is
    only called when the branch asked for does not exist.
    """
    host = host_of(url)
    error.host = host
    kind = error.kind
    if kind == "not_found":
        error.message = (
            f"The repository was not found at {url}. Check the project's repository URL "
            "(and that the repository is public)."
        )
    elif kind == "ref_not_found" and branch:
        error.message = f"The branch '{branch}' does not exist in {url}. " + _branch_hint(branches)
    elif kind == "network":
        why = error.message.partition(": ")[2] or "it could not be reached."
        error.message = f"The repository server {host} could not be reached: {why}"
    elif kind == "transfer_cut":
        error.message = (
            f"The transfer from {host} was cut off part-way: the connection closed before "
            "the whole repository arrived."
        )
    elif kind == "timeout" and timeout_s:
        error.message = (
            f"Fetching from {host} took longer than {timeout_s:.0f} s and was stopped; the "
            "server may be stalled or the repository too large."
        )
    elif kind == "auth_required":
        error.message = (
            f"The repository at {url} needs authentication; this server only reads public "
            "repositories (or ask an administrator to configure access)."
        )
    error.args = (error.message,)
    return error


def _branch_hint(branches: Callable[[], list[str]] | None) -> str:
    try:
        names = branches() if branches else None
    except Exception:  # a listing is a courtesy; the error stands without it
        names = None
    if names == []:  # listed, and there is none
        return (
            "The repository has no branches yet (nothing has been pushed to it): push a "
            "first commit, then run the checks again."
        )
    if not names:
        return "Set the project's branch to one that exists."
    shown = ", ".join(names[:MAX_BRANCHES_SHOWN])
    more = len(names) - MAX_BRANCHES_SHOWN
    extra = f" and {more} more" if more > 0 else ""
    return f"Branches there: {shown}{extra}. Set the project's branch to one of them."


def parse_ls_remote(output: str) -> list[str]:
    """Branch names from ``git ls-remote --symref <remote> HEAD refs/heads/*``,
    the default branch first, marked "(default)"."""
    default = None
    names = []
    for line in output.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            default = line[5:].split("\t")[0].removeprefix("refs/heads/")
        elif "\trefs/heads/" in line:
            names.append(line.split("\trefs/heads/", 1)[1])
    names.sort()
    if default in names:
        names.remove(default)
        names.insert(0, f"{default} (default)")
    return names


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


WHAT_TO_DO = {
    "network": "Check that {host} is up and reachable from this server, then re-run the checks.",
    "timeout": "Check that {host} is up and not overloaded, then re-run the checks.",
    "transfer_cut": (
        "The connection to {host} is unreliable or the repository is very large; re-run the "
        "checks, and tell an administrator if it keeps happening."
    ),
}


def gave_up_message(error, *, tries: int, started_at: datetime | None) -> str:
    """The final message after the last retry of a transient failure."""
    host = getattr(error, "host", "") or "the repository server"
    what = error.message.rstrip(".")
    took = _duration((timezone.now() - started_at).total_seconds()) if started_at else None
    over = f" over {took}" if took else ""
    todo = WHAT_TO_DO.get(error.kind, WHAT_TO_DO["network"]).format(host=host)
    return f"{what}. Gave up after {tries} tries{over}. {todo}"
