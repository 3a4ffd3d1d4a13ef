"""What a candidate chooses, whatever the front end: profession and setting labels, the welcome
text, chat choices and their mapping to an interview configuration (checked, with the setting
named when a value is out of range), and quick-start commands.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from agents.config import Settings, mode_line
from agents.domain.scenarios import PROFESSION_TABLE, PROFESSIONS
from agents.domain.transcript import InterviewConfig

PROFESSION_LABELS = {key: label for key, (label, _) in PROFESSION_TABLE.items()}
SETTING_LABELS = {"uk": "UK (NHS)", "us": "US"}

_QUICK = re.compile(r"^\s*start(?:\s+interview)?\s*(?::|—|-)?\s*(?P<rest>.*)$", re.I)


def profile_description(settings: Settings, timing: str) -> str:
    """What the welcome screen says for a profile: what is tested, how long, which mode."""
    length = (
        "Realistic: about 20 minutes, with a time guide for each answer, like the real platforms. Spoken "
        f"answers count as heard, and a {settings.coach_silence_seconds:g}-second silence ends one."
        if timing == "realistic"
        else "Practice: untimed — about 5 minutes per scenario. Spoken answers are shown for a check first."
    )
    return "\n\n".join(
        [
            "**Practise the AI-led screening interview for clinical AI training roles.** Scenario questions on the "
            "real work, then a separate judge scores how *explicitly* you reasoned: the risk, who could be harmed, "
            "why an answer is unsafe, when and how to escalate, what is missing — framed as what the AI should do.",
            length,
            mode_line(settings),
            "Pick a starter or type *start*; ⚙ sets profession, UK/US, scenarios and follow-ups, and whether "
            "questions are read aloud. Answer by typing or with the microphone button (tested in Chromium and "
            "Chrome, like the real screens). Drop a saved transcript to have it judged. Practice only, not "
            "clinical advice.",
        ]
    )


class SettingsProblem(ValueError):
    """A chat setting out of range or of the wrong kind; the message names the setting and the range."""


_RANGES = {"scenarios": (1, 6, "Scenarios"), "probes": (0, 2, "Follow-up probes per scenario")}


def _whole_number(choices: dict[str, Any], key: str, default: int) -> int:
    low, high, label = _RANGES[key]
    value = choices.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SettingsProblem(f"The setting “{label}” must be a whole number from {low} to {high}.")
    try:
        number = float(value)
    except ValueError:
        raise SettingsProblem(f"The setting “{label}” must be a whole number from {low} to {high}.") from None
    if not math.isfinite(number) or number != int(number) or not low <= number <= high:
        raise SettingsProblem(f"The setting “{label}” must be a whole number from {low} to {high}.")
    return int(number)


def config_from_choices(choices: dict[str, Any], timing: str, seed: int | None = None) -> InterviewConfig:
    """Turn the chat-settings values into an interview configuration.

    Unknown professions and settings fall back to "any"; counts out of range raise SettingsProblem
    naming the setting, so a crafted value is refused before anything else changes.
    """
    profession = choices.get("profession")
    setting = choices.get("setting")
    return InterviewConfig(
        profession=profession if profession in PROFESSIONS else None,
        setting=setting if setting in ("uk", "us") else None,
        scenario_count=_whole_number(choices, "scenarios", 3),
        max_probes=_whole_number(choices, "probes", 1),
        timing="realistic" if timing == "realistic" else "practice",
        seed=seed,
    )


@dataclass(frozen=True)
class QuickStart:
    """A starter: a label shown to the user and the choices it sets."""

    label: str
    profession: str
    setting: str
    scenarios: int

    @property
    def message(self) -> str:
        """The chat message the starter sends."""
        return f"Start interview: {self.profession}, {self.setting}, {self.scenarios} scenarios"


QUICK_STARTS = [
    QuickStart("Doctor · UK · 3 scenarios", "doctor", "uk", 3),
    QuickStart("Nurse · UK · 3 scenarios", "nurse", "uk", 3),
    QuickStart("Pharmacist · US · 3 scenarios", "pharmacist", "us", 3),
    QuickStart("Quick practice · 1 scenario", "doctor", "uk", 1),
]


def parse_start_command(text: str) -> dict[str, Any] | None:
    """Read 'Start interview: nurse, us, 2 scenarios' into choices; None if it is not a start command."""
    m = _QUICK.match(text)
    if not m:
        return None
    rest = m.group("rest").lower()
    choices: dict[str, Any] = {}
    for prof in PROFESSIONS:
        if prof in rest or prof.replace("_", " ") in rest:
            choices["profession"] = prof
    if re.search(r"\bus\b", rest):
        choices["setting"] = "us"
    elif re.search(r"\buk\b", rest):
        choices["setting"] = "uk"
    n = re.search(r"(\d+)\s*scenario", rest)
    if n:
        low, high, _ = _RANGES["scenarios"]
        choices["scenarios"] = max(low, min(high, int(n.group(1))))
    return choices
