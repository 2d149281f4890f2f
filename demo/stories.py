"""The demo projects and the story each one lives through, as plain data.

A story is a list of steps that ``demo.seeder`` plays through the real services:
climb level by level, enter through an entry review, switch back, get a check
waived, wait on reviewers, be rejected or asked for changes, be paused.
Card text is written into the MLTRL card when a gate first requires its section.
The same steps shape the project's sample repository (``demo.repos``): one
commit per level step, plus the story's ``quirks``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .steps import (
    DRIFTED,
    NO_VV,
    WIP_UNPINNED,
    Changes,
    Climb,
    Entry,
    Pause,
    Reject,
    Step,
    Switchback,
    Waiting,
    Waived,
)


@dataclass(frozen=True)
class Story:
    slug: str
    name: str
    team: str
    description: str
    card: dict[str, str]
    steps: tuple[Step, ...] = ()
    components: tuple[str, ...] = ()
    quirks: frozenset[str] = frozenset()  # honest gaps in its repository (``demo.steps``)


def _card(**sections: str) -> dict[str, str]:
    return sections


STORIES: tuple[Story, ...] = (
    Story(
        "defect-vision",
        "Surface defect detector",
        "research",
        "Segments scratches, dents and coating defects on assembly-line camera images, "
        "so inspectors review flagged parts instead of every part.",
        _card(
            tldr="A segmentation model that flags surface defects on line-camera images; "
            "inspectors review only the flagged parts.",
            requirements="1. The detector shall flag 98% of defects larger than 2 mm on the "
            "golden set.\n2. The detector shall flag at most 3% of defect-free parts.\n"
            "3. The detector shall answer within 150 ms per image on the line PC.\n"
            "4. The detector shall answer 'unsure' on out-of-distribution images.",
            pitch="It learns what a good part looks like from thousands of labelled photos "
            "and outlines anything that deviates, like a spell-checker for surfaces. It never "
            "scraps a part; a person decides.",
            intended_uses="Pre-screening parts on lines A-D; ordering the inspectors' queue; "
            "weekly defect statistics per supplier.",
            unacceptable_uses="Scrapping parts without human review; judging individual "
            "workers; parts or cameras it was not validated on.",
            testing_status="Unit and integration tests in CI (coverage 87%); golden set of "
            "4,200 labelled images evaluated on every release; six-week shadow run on line B.",
            data_considerations="Images from four lines, 2019-2024, each labelled by two "
            "inspectors (Cohen's kappa 0.82). No people in frame; frames showing hands are "
            "dropped at ingestion.",
            caveats="Recall falls to 91% under the old sodium lamps of line D. Chrome parts "
            "cause false positives. Debt: preprocessing duplicated in training and serving.",
        ),
        (Climb(9),),
    ),
    Story(
        "churn-forecaster",
        "Subscriber churn forecaster",
        "research",
        "Predicts the probability that a subscriber cancels within 60 days, for the "
        "retention team's outreach lists.",
        _card(
            tldr="Gradient-boosted model giving each subscriber a 60-day churn probability, "
            "refreshed nightly for retention outreach.",
            requirements="1. The model shall reach an AUC of at least 0.80 on the hold-out "
            "quarter.\n2. The model shall be calibrated within 5 points in every decile.\n"
            "3. Nightly scoring shall finish within 45 minutes for 12 million subscribers.",
            pitch="It looks at how people used the service lately (logins, support tickets, "
            "billing events) and estimates who is likely to leave, so retention calls them "
            "first.",
            intended_uses="Ranking subscribers for retention outreach; monthly churn "
            "forecasts for finance.",
            unacceptable_uses="Changing prices or terms for an individual; credit or "
            "collections decisions; subscribers who opted out of analytics.",
            testing_status="Unit tests in CI; backtests over eight quarters; calibration "
            "checked per segment on every release.",
            data_considerations="Pseudonymised usage and billing events; opted-out "
            "subscribers removed at source. Age and postcode excluded as features; fairness "
            "checked across regions.",
        ),
        (
            Climb(6),
            Waived(
                "coverage",
                "CI: line coverage 71% is below the 80% threshold.",
                "ines",
                90,
                "The uncovered code is the legacy CSV exporter, removed in the Q3 clean-up "
                "(ticket CHURN-214); the scoring path itself is at 93%.",
            ),
        ),
    ),
    Story(
        "invoice-ocr",
        "Invoice OCR (vendor model)",
        "research",
        "A licensed off-the-shelf OCR and key-field extraction model, wrapped to read "
        "supplier invoices for accounts payable.",
        _card(
            tldr="Vendor OCR model (release 3.2) reading supplier, date, totals and VAT from "
            "scanned invoices; we wrap and evaluate it, we do not train it.",
            requirements="1. The wrapper shall extract the total with 99% accuracy on our "
            "invoice sample.\n2. The wrapper shall flag low-confidence fields for manual "
            "entry.\n3. No invoice image shall leave our network.",
            pitch="A pre-trained model reads the scanned invoice the way a clerk would and "
            "fills in the key fields; anything it is unsure about goes to a person.",
            intended_uses="Pre-filling accounts-payable entries for supplier invoices in "
            "English, German and French.",
            unacceptable_uses="Approving payments automatically; receipts from individuals; "
            "languages outside the evaluated three.",
        ),
        (
            Entry(
                4,
                "Licensed off-the-shelf model with published benchmarks; we only wrap and "
                "evaluate it, so it enters at proof of concept.",
            ),
        ),
    ),
    Story(
        "feature-pipeline",
        "Clickstream feature pipeline",
        "research",
        "Streaming pipeline turning raw clickstream events into session features shared by "
        "the ranking and churn models.",
        _card(
            tldr="Flink job computing 120 session features from clickstream events with a "
            "5-minute freshness target.",
            requirements="1. Features shall be at most 5 minutes old at serving time.\n"
            "2. Training and serving shall compute features with the same code.\n"
            "3. Late events shall be handled up to 30 minutes.",
            pitch="It summarises what each visitor did in the last session (pages, dwell "
            "time, searches) into numbers that models can use.",
        ),
        (Climb(4),),
    ),
    Story(
        "reco-ranker",
        "Homepage recommendation ranker",
        "research",
        "Ranks the articles and products shown on the homepage for each visitor, using the "
        "clickstream feature pipeline.",
        _card(
            tldr="Two-tower retrieval plus a gradient-boosted re-ranker ordering homepage "
            "tiles per visitor.",
            requirements="1. The ranker shall improve click-through by 3% over the popularity "
            "baseline in an A/B test.\n2. The ranker shall answer within 40 ms at p99.\n"
            "3. Every tile category shall keep at least 10% exposure.",
            pitch="It learns which tiles similar visitors clicked and puts the most relevant "
            "first, while keeping some variety on the page.",
            intended_uses="Ordering homepage tiles for signed-in and anonymous visitors.",
            unacceptable_uses="Ranking news by political leaning; targeting minors with "
            "promotions; email campaigns.",
            testing_status="Offline replay on two weeks of logs; unit tests in CI; A/B test "
            "planned at level 8.",
            data_considerations="Clickstream sessions of consenting visitors only; the "
            "feature pipeline drops precise location.",
        ),
        (Climb(6),),
        ("feature-pipeline",),
    ),
    Story(
        "anomaly-telemetry",
        "Fleet telemetry anomaly detector",
        "research",
        "Detects abnormal sensor patterns in delivery-vehicle telemetry so maintenance can "
        "act before a breakdown.",
        _card(
            tldr="Sequence autoencoder over engine and battery telemetry that raises "
            "maintenance alerts on unusual patterns.",
            requirements="1. The detector shall raise an alert at least 48 hours before 60% "
            "of recorded breakdowns.\n2. Fewer than two false alerts per vehicle per month.",
            pitch="It learns the normal rhythm of each vehicle's sensors and alerts when the "
            "rhythm breaks, the way a mechanic hears an engine running rough.",
            intended_uses="Scheduling preventive maintenance for the delivery fleet.",
            unacceptable_uses="Monitoring or scoring drivers; insurance pricing.",
            data_considerations="Telemetry from 1,800 vehicles; GPS traces are excluded; "
            "driver identifiers are removed before training.",
        ),
        (
            Climb(4),
            Waiting(
                ("ethics",),
                "Ethics review is booked for next week: the question is whether alerts could "
                "be traced back to individual drivers.",
            ),
        ),
    ),
    Story(
        "causal-uplift",
        "Promotion uplift model",
        "research",
        "Estimates which customers change their behaviour because of a promotion, rather "
        "than who buys anyway.",
        _card(
            tldr="Causal forest estimating the uplift of a promotion per customer segment.",
        ),
        (
            Climb(1),
            Reject(
                "research-peer",
                "The experiments do not support the claim: the baseline is mis-tuned and the "
                "uplift disappears once the seasonal confounder is controlled for. Please "
                "re-run with the pre-registered analysis before asking again.",
            ),
        ),
    ),
    Story(
        "graph-fraud",
        "Payment graph fraud detector",
        "research",
        "Graph neural network over the payment network that flags accounts likely to be "
        "part of a fraud ring.",
        _card(
            tldr="GNN over accounts and transfers scoring accounts for fraud-ring "
            "membership, for the fraud analysts' queue.",
        ),
        (
            Climb(2),
            Changes(
                "research-peer",
                (
                    "Add a V&V section: which test or experiment verifies each requirement",
                    "Report results on the time-split test set, not the random split",
                ),
                "Promising results, but the requirements say nothing about how each one is "
                "verified; the research_requirements check fails for the same reason.",
            ),
        ),
        quirks=frozenset({NO_VV}),
    ),
    Story(
        "weather-nowcast",
        "Radar precipitation nowcasting",
        "research",
        "Research into short-term rainfall prediction from radar images, for delivery "
        "route planning.",
        _card(
            tldr="Exploring optical-flow and diffusion models for 0-2 hour rainfall "
            "prediction from radar composites.",
        ),
    ),
    Story(
        "speech-commands",
        "On-device keyword spotting",
        "language-research",
        "Small always-on model recognising 30 voice commands on the handheld scanners.",
        _card(
            tldr="200 kB convolutional keyword spotter recognising 30 commands on the "
            "handheld scanners, fully on device.",
            requirements="1. The model shall recognise the 30 commands with 95% accuracy at "
            "1 m and 90% at 3 m.\n2. Fewer than one false wake-up per hour in warehouse "
            "noise.\n3. The model shall fit in 256 kB and run on the scanner DSP.",
            pitch="A tiny model listens for a fixed list of words, like a dog that knows 30 "
            "commands; it never sends audio anywhere.",
            intended_uses="Hands-free commands for warehouse staff using the scanners.",
            unacceptable_uses="Recording or transcribing conversations; identifying "
            "speakers; any use off the scanners.",
            data_considerations="Recorded by 240 consenting staff across three warehouses; "
            "accents and ages balanced; recordings deleted after feature extraction.",
        ),
        (
            Climb(5),
            Switchback(
                4,
                "review",
                "Product review found accuracy drops 18 points on far-field audio (3 m) in "
                "the loud zone; back to proof of concept to collect far-field data.",
            ),
            Climb(5),
        ),
    ),
    Story(
        "translation-qe",
        "Translation quality estimation",
        "language-research",
        "Predicts the quality of machine-translated product descriptions so only poor "
        "translations go to human post-editing.",
        _card(
            tldr="Cross-lingual encoder scoring machine translations 0-100; low scores go to "
            "human post-editors.",
            requirements="1. Scores shall correlate with human judgements at Pearson 0.6 or "
            "more for each language pair.\n2. Scoring shall take under 50 ms per sentence.",
            pitch="It reads the source and the translation side by side and guesses how a "
            "bilingual reviewer would grade it.",
        ),
        (
            Climb(3),
            Switchback(
                2,
                "discovery",
                "Integration showed the scores collapse on the new German-Polish pair, which "
                "the testbed never covered; back to proof of principle.",
            ),
            Climb(3),
        ),
        quirks=frozenset({WIP_UNPINNED}),
    ),
    Story(
        "ticket-summariser",
        "Support ticket summariser",
        "language-research",
        "Summarises long customer-support threads into three sentences for the agent who "
        "picks the ticket up.",
        _card(
            tldr="Fine-tuned sequence-to-sequence model writing three-sentence summaries of "
            "support threads.",
            requirements="1. Summaries shall contain no facts absent from the thread (checked "
            "on 500 annotated threads).\n2. Summaries shall be at most 60 words.",
            pitch="It reads the whole conversation and writes the short note a colleague "
            "would leave when handing a ticket over.",
        ),
        (
            Climb(3),
            Pause(
                "Paused while legal reviews whether support threads may be used for training "
                "under the new customer terms."
            ),
        ),
    ),
    Story(
        "review-sentiment",
        "Multilingual review sentiment",
        "language-research",
        "Classifies the sentiment and topic of product reviews in eleven languages for "
        "the category managers' dashboard.",
        _card(
            tldr="Multilingual transformer classifying review sentiment (5 classes) and topic "
            "across eleven languages.",
            requirements="1. Macro-F1 shall be at least 0.80 in every supported language.\n"
            "2. The service shall handle 300 reviews per second.\n3. Reviews shall be "
            "processed without storing reviewer identities.",
            pitch="It reads a review and tells whether the customer was happy and what about "
            "(delivery, quality, price), in any of eleven languages.",
            intended_uses="Aggregate sentiment per product and topic on the category dashboard.",
            unacceptable_uses="Judging or moderating individual reviewers; hiding negative "
            "reviews.",
            testing_status="Per-language golden sets of 1,000 reviews; metamorphic tests "
            "(negation, synonyms); unit and integration tests in CI.",
            data_considerations="Public product reviews, reviewer names and handles removed; "
            "low-resource languages augmented with back-translation.",
        ),
        (Climb(8),),
        quirks=frozenset({DRIFTED}),
    ),
    Story(
        "clause-extraction",
        "Contract clause extractor",
        "language-research",
        "Finds liability, termination and renewal clauses in supplier contracts for the "
        "procurement team.",
        _card(
            tldr="Span-extraction model finding 14 clause types in supplier contracts.",
        ),
        (Climb(2),),
    ),
)
