"""The one loader for everything under `prompts/`: rubric, scenarios, analyzer lexicon, interviewer
lines and prompt templates. Each file carries a version; the versions travel with every judgement.
"""

from __future__ import annotations

import hashlib
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from agents.domain.rubric import Direction, Rubric, Scope
from agents.domain.scenarios import Scenario
from agents.domain.speech import SpeechLexicon
from agents.domain.tasks import TaskWords
from agents.errors import DataError, validation_problems


class PromptTemplate(BaseModel):
    """A text template with `$name` placeholders and a version from its front matter."""

    name: str
    version: str
    text: str

    def render(self, **values: str) -> str:
        """Fill the placeholders; a missing value is an error, not a silent blank."""
        try:
            return string.Template(self.text).substitute(**values)
        except KeyError as exc:
            raise DataError(f"template {self.name!r} needs a value for {exc.args[0]!r}") from exc


class MeasuredAgreement(BaseModel):
    """One judge's agreement with human labels on a held-out set, for the versions it was measured on."""

    judge: str = Field(description="'offline' or a model judge's name.")
    rubric: str
    analyzer: str | None = None
    set: str
    transcripts: int
    mean_qwk: float
    band_accuracy: float
    human_ceiling_qwk: float | None = None

    def sentence(self) -> str:
        """The figure in words, for reports."""
        ceiling = f" (two human labellers agree at {self.human_ceiling_qwk:.2f})" if self.human_ceiling_qwk else ""
        return (
            f"On {self.transcripts} held-out transcripts ({self.set}) this judge's dimension scores agree with "
            f"human labels at a mean quadratic weighted kappa of {self.mean_qwk:.2f}{ceiling}, and its band "
            f"matches theirs {self.band_accuracy:.0%} of the time."
        )


class InterviewerScript(BaseModel):
    """Fixed lines the interviewer uses (offline mode phrases everything from these)."""

    version: str
    intro: str
    disclaimer: str
    scenario_intro: str
    probe_prefixes: list[str] = Field(min_length=1)
    consistency_questions: list[str] = Field(min_length=1)
    stay_in_role: list[str] = Field(min_length=1)
    empty_answer: str
    closing: str
    no_probe_ack: list[str] = Field(min_length=1)
    meta_request_patterns: list[str] = Field(min_length=1)
    meta_request_max_words: int = 40
    skip_words: list[str] = Field(default_factory=list)


class PromptLibrary(BaseModel):
    """Everything loaded from `prompts/`, validated."""

    root: Path
    rubric: Rubric
    scenarios: list[Scenario]
    scenarios_version: str
    lexicon: dict[str, Any]
    interviewer: InterviewerScript
    templates: dict[str, PromptTemplate]
    guide: dict[str, Any] = Field(default_factory=dict)
    privacy_version: str = Field(default="none", description="Version of the scrubber's list of clinical words.")
    measured_version: str = Field(default="none", description="Version of the judges' measured figures.")
    measured: list[MeasuredAgreement] = Field(
        default_factory=list, description="Judges' agreement with human labels on held-out sets."
    )
    speech: SpeechLexicon = Field(description="What speech-to-text is told; how heard text is written; delivery.")
    tasks: TaskWords = Field(description="How the report reads a task's own result (ranking, grades…).")

    def agreement_of(self, judge: str) -> MeasuredAgreement | None:
        """The held-out figure for a judge as configured now (same rubric and analyzer), if measured."""
        for m in self.measured:
            # A minor rubric version (v2.1) changes wording only, never a verdict: the figure holds.
            same_rubric = m.rubric.split(".")[0] == self.rubric.version.split(".")[0]
            if m.judge == judge and same_rubric and m.analyzer in (None, self.lexicon_version):
                return m
        return None

    @property
    def privacy_allow_file(self) -> Path:
        """The scrubber's list of clinical words never taken for personal data."""
        return self.root / "privacy" / "allow.yaml"

    @property
    def lexicon_version(self) -> str:
        """Version of the analyzer's patterns."""
        return str(self.lexicon["version"])

    def template(self, name: str) -> PromptTemplate:
        """A prompt template by file stem (e.g. "judge_system")."""
        try:
            return self.templates[name]
        except KeyError as exc:
            raise DataError(f"no prompt template named {name!r} under {self.root / 'templates'}") from exc

    def scenario(self, scenario_id: str) -> Scenario:
        """A scenario by id."""
        for s in self.scenarios:
            if s.id == scenario_id:
                return s
        raise DataError(f"no scenario with id {scenario_id!r} in {self.root / 'scenarios'}")

    def criteria_brief(self) -> str:
        """Every criterion with where the line falls between met and not met (stable prompt text)."""
        guide = self.guide.get("criteria", {})
        lines = []
        for dim in self.rubric.dimensions:
            for crit in dim.criteria:
                text = f"- {crit.id} ({dim.id}): {crit.text}"
                if crit.id in guide:
                    text += f"\n    met: {guide[crit.id]['met']}\n    not met: {guide[crit.id]['not_met']}"
                lines.append(text)
        return "\n".join(lines)

    def decision_rules(self) -> str:
        """How the rubric's met-unless-violated and substance-needing criteria are decided, in words."""
        rubric = self.rubric
        lines = []
        negative = rubric.ids_where(direction=Direction.UNLESS_VIOLATED)
        if negative:
            lines.append(
                f"Criteria met unless violated ({', '.join(negative)}) are met only when the answers give enough "
                "substance to judge and show no violation."
            )
        by_need: dict[int, list[str]] = {}
        for crit in rubric.criteria:
            if crit.substance:
                by_need.setdefault(crit.substance, []).append(crit.id)
        for need, ids in sorted(by_need.items()):
            what = "one substantive answer" if need == 1 else f"{need} substantive answers"
            lines.append(f"{', '.join(ids)} need at least {what} (an answer of two or more full sentences).")
        cross = rubric.ids_where(scope=Scope.INTERVIEW)
        if cross:
            lines.append(f"{', '.join(cross)} are judged across the answers together.")
        return " ".join(lines)

    def versions(self) -> dict[str, str]:
        """All data versions, recorded with every judgement and eval run."""
        out = {
            "rubric": self.rubric.version,
            "scenarios": self.scenarios_version,
            "analyzer": self.lexicon_version,
            "interviewer_script": self.interviewer.version,
            "guide": str(self.guide.get("version", "none")),
            "privacy": self.privacy_version,
            "measured": self.measured_version,
            "speech": self.speech.version,
            "tasks": self.tasks.version,
        }
        out.update({f"template:{k}": t.version for k, t in sorted(self.templates.items())})
        return out


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file is missing") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read ({exc})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise DataError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc


def _validation_message(path: Path, exc: ValidationError) -> str:
    first = validation_problems(exc, limit=1)[0]
    return f"{path}: {first} ({exc.error_count()} problem(s) in all)"


def _load_template(path: Path) -> PromptTemplate:
    raw = path.read_text(encoding="utf-8")
    if not raw.startswith("---\n"):
        raise DataError(f"{path}, line 1: a template must start with front matter ('---' then 'version: ...')")
    try:
        _, header, body = raw.split("---\n", 2)
    except ValueError as exc:
        raise DataError(f"{path}: front matter is not closed with '---'") from exc
    meta = yaml.safe_load(header) or {}
    if not isinstance(meta, dict) or "version" not in meta:
        raise DataError(f"{path}: front matter has no 'version'")
    return PromptTemplate(name=path.stem, version=str(meta["version"]), text=body.lstrip("\n"))


def load_library(root: Path) -> PromptLibrary:
    """Load and validate every data file under `root`. Raises DataError naming the file on any problem."""
    return _load_library_cached(root.resolve())


@lru_cache(maxsize=8)
def _load_library_cached(root: Path) -> PromptLibrary:
    if not root.is_dir():
        raise DataError(f"{root}: prompts folder not found")

    rubric_path = root / "rubric" / "rubric.yaml"
    try:
        rubric = Rubric.model_validate(_read_yaml(rubric_path))
    except ValidationError as exc:
        raise DataError(_validation_message(rubric_path, exc)) from exc

    scenarios: list[Scenario] = []
    digest = hashlib.sha256()
    seen: set[str] = set()
    scenario_files = sorted((root / "scenarios").glob("*.yaml"))
    if not scenario_files:
        raise DataError(f"{root / 'scenarios'}: no scenario files")
    for path in scenario_files:
        data = _read_yaml(path)
        digest.update(path.read_bytes())
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError as exc:
            raise DataError(_validation_message(path, exc)) from exc
        if not scenario.key_risks or not scenario.escalation:
            raise DataError(f"{path}: a bank scenario needs 'key_risks' and 'escalation'")
        if scenario.id in seen:
            raise DataError(f"{path}: duplicate scenario id {scenario.id!r}")
        known = set(rubric.criterion_ids)
        named = [*scenario.probe_hints, *(r.criterion for r in scenario.key_risks), *scenario.reference_meets]
        bad = [k for k in named if k not in known]
        if bad:
            raise DataError(f"{path}: unknown rubric criterion id(s) {bad}")
        seen.add(scenario.id)
        scenarios.append(scenario)

    lexicon_path = root / "analyzer" / "lexicon.yaml"
    lexicon = _read_yaml(lexicon_path)
    if not isinstance(lexicon, dict) or "version" not in lexicon:
        raise DataError(f"{lexicon_path}: expected a mapping with a 'version'")

    script_path = root / "interviewer" / "script.yaml"
    try:
        script = InterviewerScript.model_validate(_read_yaml(script_path))
    except ValidationError as exc:
        raise DataError(_validation_message(script_path, exc)) from exc

    templates = {p.stem: _load_template(p) for p in sorted((root / "templates").glob("*.md"))}

    guide_path = root / "rubric" / "guide.yaml"
    guide = _read_yaml(guide_path) if guide_path.exists() else {}
    if guide and (not isinstance(guide, dict) or set(guide.get("criteria", {})) != set(rubric.criterion_ids)):
        raise DataError(f"{guide_path}: needs a 'criteria' entry for each criterion id of the rubric, and no others")

    measured_version, measured = _measured(root / "judges" / "measured.yaml")
    speech_path = root / "speech" / "speech.yaml"
    try:
        speech = SpeechLexicon.model_validate(_read_yaml(speech_path))
    except ValidationError as exc:
        raise DataError(_validation_message(speech_path, exc)) from exc
    tasks_path = root / "analyzer" / "tasks.yaml"
    try:
        tasks = TaskWords.model_validate(_read_yaml(tasks_path))
    except ValidationError as exc:
        raise DataError(_validation_message(tasks_path, exc)) from exc
    return PromptLibrary(
        root=root,
        rubric=rubric,
        scenarios=scenarios,
        scenarios_version=f"scenarios-{len(scenarios)}-{digest.hexdigest()[:10]}",
        lexicon=lexicon,
        interviewer=script,
        templates=templates,
        guide=guide,
        privacy_version=_privacy_version(root / "privacy" / "allow.yaml", root / "privacy" / "given_names.txt"),
        measured_version=measured_version,
        measured=measured,
        speech=speech,
        tasks=tasks,
    )


def _measured(path: Path) -> tuple[str, list[MeasuredAgreement]]:
    """The judges' measured figures and the file's version (none when there is no file)."""
    if not path.exists():
        return "none", []
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("figures"), list):
        raise DataError(f"{path}: expected a 'version' and a list of 'figures'")
    try:
        return str(data.get("version", "none")), [MeasuredAgreement.model_validate(f) for f in data["figures"]]
    except ValidationError as exc:
        raise DataError(_validation_message(path, exc)) from exc


def _privacy_version(path: Path, names: Path) -> str:
    """The allow list's version, and the extra first names' ("privacy-allow-v6+given-names-v1"):
    either changes what the scrubber sends a provider."""
    if not path.exists():
        return "none"
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("words"), dict):
        raise DataError(f"{path}: expected 'version' and 'words' (lists of words by kind)")
    version = str(data.get("version", "none"))
    if names.exists():
        lines = [line for line in names.read_text(encoding="utf-8").splitlines() if line.startswith("version:")]
        if len(lines) != 1:
            raise DataError(f"{names}: expected one 'version: ...' line, found {len(lines)}")
        version += "+" + lines[0].removeprefix("version:").strip()
    return version
