"""The check catalog: small registered units that read a repository snapshot.

Importing this package registers every check (each module registers its own).
"""

# Imported for their side effect: each module registers its checks.
from . import (  # noqa: F401
    cards,
    code,
    dependencies,
    documents,
    ethics,
    experiments,
    external,
    hygiene,
    interfaces,
    operations,
    secret_scan,
)
from .base import REGISTRY, Check, CheckContext, CheckOutput, catalog_version, register

__all__ = ["REGISTRY", "Check", "CheckContext", "CheckOutput", "catalog_version", "register"]
