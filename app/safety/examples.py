"""The built-in emergency examples the prompt shows the model (detection's phrase tables are broader)."""

from __future__ import annotations

EMERGENCY_EXAMPLES: tuple[str, ...] = (
    "chest pain or pressure",
    "trouble breathing or not breathing",
    "unconscious, unresponsive or fainted",
    "severe or uncontrolled bleeding",
    "signs of a stroke (face drooping, slurred speech, sudden weakness)",
    "a seizure",
    "a severe allergic reaction or throat swelling",
    "choking",
    "an overdose or poisoning",
    "thoughts of suicide or self-harm",
    "swelling that spreads to the eye or makes it hard to swallow or breathe",
    "a pet that ate something toxic (chocolate, xylitol, antifreeze, rat poison)",
    "a pet hit by a car or collapsed",
    "a smell of gas, a gas leak or a carbon monoxide alarm",
    "fire, smoke, or sparks from an outlet or panel",
    "flooding near electrical equipment",
)
