"""Spoken answers as data: what the speech-to-text engine is told to expect for a scenario, how heard
text is written before the judge reads it, and the delivery figures kept beside an answer.

Everything here is pure: the lists come from `prompts/speech/speech.yaml`; the audio itself is
measured in `agents/speech/`.
"""

from __future__ import annotations

import re
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from agents.domain.scenarios import Scenario

UNIT_WORDS = ("mg", "ml", "%", "micrograms", "minutes", "minute", "hours", "hour", "days", "day", "weeks", "years")


class DeliveryLimits(BaseModel):
    """What the delivery report compares an answer with."""

    model_config = ConfigDict(extra="forbid")

    guide_seconds: tuple[float, float] = Field(description="Shortest and longest answer a real screen expects.")
    words_per_minute: tuple[float, float] = Field(description="Pace that is easy to follow when spoken.")
    long_pause_seconds: float = Field(gt=0, description="A pause at least this long mid-answer counts as long.")
    filler_rate_high: float = Field(ge=0, le=1, description="Hesitations per word above which they are noticeable.")
    main_point_words: list[str] = Field(description="Words that show the first sentence names the risk or route.")


class SpeechLexicon(BaseModel):
    """The lists of `prompts/speech/speech.yaml`."""

    model_config = ConfigDict(extra="forbid")

    version: str
    vocabulary: list[str] = Field(description="Clinical terms hinted to the engine when a scenario uses them.")
    services: dict[str, list[str]] = Field(description="Each health system's services, always hinted.")
    fillers: list[str] = Field(description="Hesitations counted for delivery.")
    written_forms: dict[str, dict[str, str]] = Field(description="Spoken phrase → written form, by setting or 'any'.")
    numbers: dict[str, int] = Field(description="Number words read before a unit ('three hundred mg').")
    delivery: DeliveryLimits

    @cached_property
    def _written(self) -> list[tuple[re.Pattern[str], str]]:
        pairs = [(k, v) for table in self.written_forms.values() for k, v in table.items()]
        pairs.sort(key=lambda kv: -len(kv[0]))  # "n h s one one one" before "one one one"
        return [(re.compile(rf"(?<![\w&]){re.escape(k)}(?![\w&])", re.I), v) for k, v in pairs]

    @cached_property
    def _number_run(self) -> re.Pattern[str]:
        words = "|".join(sorted(map(re.escape, self.numbers), key=len, reverse=True))
        units = "|".join(map(re.escape, UNIT_WORDS))
        return re.compile(rf"\b((?:(?:{words})(?:[\s-]+(?:and[\s-]+)?)?)+)(?=\s*(?:{units})(?![\w]))", re.I)

    @cached_property
    def _fillers(self) -> re.Pattern[str]:
        alts = "|".join(sorted(map(re.escape, self.fillers), key=len, reverse=True))
        return re.compile(rf"(?<![\w'])(?:{alts})(?![\w'])", re.I)

    def written(self, heard: str) -> str:
        """Heard text as the judge should read it: spoken services and dose numbers written as
        people write them ("call nine nine nine", "three hundred milligrams" → "call 999", "300 mg")."""
        text = heard
        for pattern, form in self._written:
            text = pattern.sub(form, text)
        return self._number_run.sub(lambda m: f"{self._number_value(m.group(1))} ", text).replace("  ", " ")

    def _number_value(self, run: str) -> int:
        total = current = 0
        for word in re.split(r"[\s-]+", run.strip().lower()):
            if word in ("", "and"):
                continue
            value = self.numbers[word]
            if value == 100:
                current = max(current, 1) * 100
            elif value == 1000:
                total += max(current, 1) * 1000
                current = 0
            else:
                current += value
        return total + current

    def filler_count(self, text: str) -> int:
        """How many hesitations ("um", "you know") the text holds."""
        return len(self._fillers.findall(text))

    def hints(self, scenario: Scenario | None, setting: str | None) -> list[str]:
        """What the engine is told to expect: the vocabulary this scenario uses, then its health
        system's services (so "valproate" and "NHS 111" come out spelt right)."""
        text = ""
        if scenario is not None:
            text = " ".join(
                [
                    scenario.title,
                    scenario.question,
                    scenario.material,
                    " ".join(r.text for r in scenario.key_risks),
                    scenario.escalation or "",
                ]
            )
        return self.hints_in(text, setting or (scenario.setting.value if scenario is not None else None))

    def hints_in(self, text: str, setting: str | None) -> list[str]:
        """The vocabulary `text` uses (whole words, any case), then the services of `setting`."""
        found = [t for t in self.vocabulary if re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", text, re.I)]
        services = [str(s) for s in self.services.get(setting or "", [])]
        return list(dict.fromkeys([*found, *services]))

    def main_point_first(self, answer: str, scenario: Scenario | None) -> bool:
        """Whether the answer's first sentence names the risk or the route (the main point up front)."""
        first = re.split(r"(?<=[.!?])\s+", answer.strip(), maxsplit=1)[0].lower()
        if not first:
            return False
        if scenario is not None and any(r.named_in(first) for r in scenario.key_risks):
            return True
        return any(
            re.search(rf"(?<![\w&]){re.escape(w.lower())}(?![\w&])", first) for w in self.delivery.main_point_words
        )


class Delivery(BaseModel):
    """How a spoken answer was delivered: shown beside the six dimensions, never part of their scores."""

    seconds: float = Field(ge=0, description="Length of the recording.")
    speaking_seconds: float = Field(ge=0, description="Time with speech in it (pauses left out).")
    words: int = Field(ge=0, description="Words heard.")
    words_per_minute: float = Field(ge=0, description="Words heard per minute of the recording.")
    fillers: int = Field(ge=0, description="Hesitations heard ('um', 'you know').")
    filler_rate: float = Field(ge=0, description="Hesitations per word heard.")
    long_pauses: int = Field(ge=0, description="Pauses mid-answer at least the long-pause length.")
    longest_pause: float = Field(ge=0, description="Longest pause between stretches of speech, seconds.")
    main_point_first: bool = Field(description="Whether the first sentence names the risk or the route.")


class SpokenAnswer(BaseModel):
    """What was heard of an answer given by voice, kept with the answer's turn."""

    heard: str = Field(description="The engine's text, before any correction or rewriting.")
    engine: str = Field(description="Which speech-to-text engine heard it (e.g. 'local:tiny.en').")
    speech_version: str = Field(description="Version of prompts/speech/speech.yaml used.")
    corrected: bool = Field(default=False, description="Whether the candidate corrected the text before it counted.")
    delivery: Delivery


def delivery_of(
    lexicon: SpeechLexicon,
    heard: str,
    *,
    seconds: float,
    speaking_seconds: float,
    pauses: list[float],
    scenario: Scenario | None,
) -> Delivery:
    """The delivery figures of one spoken answer, from what was heard and the recording's pauses
    (the gaps between stretches of speech, in seconds)."""
    words = len(re.findall(r"[\w'&%-]+", heard))
    fillers = lexicon.filler_count(heard)
    limit = lexicon.delivery.long_pause_seconds
    return Delivery(
        seconds=round(seconds, 2),
        speaking_seconds=round(speaking_seconds, 2),
        words=words,
        words_per_minute=round(words / seconds * 60, 1) if seconds > 0 else 0.0,
        fillers=fillers,
        filler_rate=round(fillers / words, 3) if words else 0.0,
        long_pauses=sum(1 for p in pauses if p >= limit),
        longest_pause=round(max(pauses, default=0.0), 2),
        main_point_first=lexicon.main_point_first(lexicon.written(heard), scenario),
    )
