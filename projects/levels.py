"""The MLTRL level catalog (Lavin et al. 2022), kept in code: levels never change at run time."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Phase(models.TextChoices):
    RESEARCH = "research", "Research"
    PROTOTYPING = "prototyping", "Prototyping"
    PRODUCTIZATION = "productization", "Productization"
    DEPLOYMENT = "deployment", "Deployment"


class Level(models.IntegerChoices):
    FIRST_PRINCIPLES = 0, "0 - First principles"
    GOAL_ORIENTED_RESEARCH = 1, "1 - Goal-oriented research"
    PROOF_OF_PRINCIPLE = 2, "2 - Proof of principle"
    SYSTEM_DEVELOPMENT = 3, "3 - System development"
    PROOF_OF_CONCEPT = 4, "4 - Proof of concept"
    ML_CAPABILITY = 5, "5 - ML capability"
    APPLICATION_DEVELOPMENT = 6, "6 - Application development"
    INTEGRATIONS = 7, "7 - Integrations"
    FLIGHT_READY = 8, "8 - Flight-ready"
    DEPLOYMENT = 9, "9 - Deployment"


LOWEST_LEVEL = 0
HIGHEST_LEVEL = 9


@dataclass(frozen=True)
class LevelInfo:
    number: int
    name: str
    phase: Phase
    purpose: str
    exit_deliverables: str


LEVELS: tuple[LevelInfo, ...] = (
    LevelInfo(
        0,
        "First principles",
        Phase.RESEARCH,
        "Literature review, mathematical formulation, first look at data.",
        "Hypotheses and research plan; a reviewer judges validity and novelty.",
    ),
    LevelInfo(
        1,
        "Goal-oriented research",
        Phase.RESEARCH,
        "Low-level experiments on specific model properties, sample or synthetic data.",
        "Experiment results reviewed by research peers; research-caliber code is fine.",
    ),
    LevelInfo(
        2,
        "Proof of principle",
        Phase.RESEARCH,
        "R&D in testbeds (simulated or realistic data) against technical goals.",
        "Research requirements document with verification & validation (V&V).",
    ),
    LevelInfo(
        3,
        "System development",
        Phase.PROTOTYPING,
        "Code made interoperable, reliable, maintainable, extensible, scalable.",
        "Prototype-caliber code: designed interfaces, unit and integration tests, style, docs.",
    ),
    LevelInfo(
        4,
        "Proof of concept",
        Phase.PROTOTYPING,
        "Demonstration on real, representative data for candidate applications.",
        "PoC results; data documentation; AI-ethics review.",
    ),
    LevelInfo(
        5,
        "ML capability",
        Phase.PROTOTYPING,
        "The model becomes a capability shared through demos, scripts or an API; "
        "R&D-to-product hand-off; data governance starts.",
        "Product requirements with V&V; this gate should be difficult.",
    ),
    LevelInfo(
        6,
        "Application development",
        Phase.PRODUCTIZATION,
        "Robustification for one or more use cases.",
        "Product-caliber code: precise spec, comprehensive tests, defined APIs, explanations.",
    ),
    LevelInfo(
        7,
        "Integrations",
        Phase.PRODUCTIZATION,
        "ML infrastructure, product platform, data pipes, security.",
        "Use-case validations, metamorphic tests, golden dataset baseline, "
        "input/prediction statistics logged.",
    ),
    LevelInfo(
        8,
        "Flight-ready",
        Phase.PRODUCTIZATION,
        "Final form under expected conditions.",
        "Deployment tests: A/B, blue/green, shadow, canary.",
    ),
    LevelInfo(
        9,
        "Deployment",
        Phase.DEPLOYMENT,
        "Monitoring the current version, improving the next.",
        "Ongoing: data quality, drift and training-serving-skew monitoring; CI/CD stress tests.",
    ),
)


def level_info(number: int) -> LevelInfo:
    """The catalog entry for a level; ``ValueError`` outside 0-9."""
    if not LOWEST_LEVEL <= number <= HIGHEST_LEVEL:
        raise ValueError(f"Level {number} is outside 0-9.")
    return LEVELS[number]
