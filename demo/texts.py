"""Reusable demo text: the stage debriefs of advance and entry requests.

The seed records these as the debrief of each request, so every level change in
the demo carries the "what was done / punted / learned / debt" notes the paper
asks for. (Check results are not text here: the real checks produce them.)
"""

from __future__ import annotations

# Debrief of the advance to each level (keys: done, punted, learned, debt).
DEBRIEFS: dict[int, dict[str, str]] = {
    1: {
        "done": "Literature review and problem formulation written up; hypotheses agreed "
        "with the research lead.",
        "punted": "Questions about production data access, deferred to proof of concept.",
        "learned": "Two published baselines are not comparable: they use different splits.",
        "debt": "Exploration lives in notebooks; nothing shared yet.",
    },
    2: {
        "done": "Targeted experiments on sample data; results tracked and reviewed by a peer.",
        "punted": "Hyper-parameter search beyond the first grid.",
        "learned": "Most of the gain comes from the data augmentation, not the architecture.",
        "debt": "Research-caliber code with hard-coded paths.",
    },
    3: {
        "done": "Testbed results against the research requirements; V&V plan written.",
        "punted": "Latency work, left for system development.",
        "learned": "The simulated data underestimates label noise; V&V now uses real samples.",
        "debt": "Training script is one long file; refactor planned at level 3.",
    },
    4: {
        "done": "Code refactored into a package with interfaces, tests, CI and pinned "
        "dependencies.",
        "punted": "Batch inference API, until product confirms the use case.",
        "learned": "Half the test failures were non-determinism; seeds are now fixed.",
        "debt": "Paid off: notebook-only code. Gained: a temporary feature shim.",
    },
    5: {
        "done": "Proof of concept on real, representative data; datasheet and "
        "pre-development ethics checklist completed.",
        "punted": "Multi-region evaluation.",
        "learned": "Product's target users differ from the research dataset's population.",
        "debt": "Evaluation scripts duplicated between research and product demos.",
    },
    6: {
        "done": "Capability shared through an internal API and demo; product requirements "
        "with V&V signed off; model card written.",
        "punted": "Explanations for individual predictions, planned for level 6.",
        "learned": "The hand-off needs one owner on each side; weekly syncs set up.",
        "debt": "Demo API has no rate limiting yet.",
    },
    7: {
        "done": "Robustified for the first use case: precise spec, comprehensive tests, "
        "defined API.",
        "punted": "Second use case, after integration.",
        "learned": "Input validation caught three malformed upstream fields in the first week.",
        "debt": "Paid off: demo API replaced by the product API.",
    },
    8: {
        "done": "Integrated with the ML platform and data pipes; golden-dataset baseline "
        "and prediction logging in place; metamorphic tests added.",
        "punted": "Cost optimisation of the serving cluster.",
        "learned": "Feature freshness matters more than model size for this use case.",
        "debt": "One manual step remains in the release checklist.",
    },
    9: {
        "done": "Shadow and canary deployments passed; monitoring plan and runbook with a "
        "fallback mode approved; post-development ethics checklist answered.",
        "punted": "Automated retraining, kept manual for the first quarter.",
        "learned": "The canary caught a timezone bug that offline tests missed.",
        "debt": "Drift thresholds are hand-tuned; revisit after three months of data.",
    },
}

# Debrief of an entry review (a technology registered above level 0).
ENTRY_DEBRIEF: dict[str, str] = {
    "done": "Vendor model evaluated on 2,000 of our own documents; wrapper package with "
    "interfaces, tests, CI and pinned dependencies written around it.",
    "punted": "Fine-tuning on our data, which the licence allows only from release 4.",
    "learned": "The vendor's benchmark overstates accuracy on low-resolution scans by 6 points.",
    "debt": "The vendor SDK pins an old HTTP client; isolated in its own service for now.",
}
