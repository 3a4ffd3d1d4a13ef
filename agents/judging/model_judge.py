"""The model judge: structured, validated verdicts on every rubric criterion, with a fenced transcript.

Two retry loops are kept apart: transient API errors are retried inside the gateway (tenacity);
output that is not valid JSON or not valid against the schema is re-asked here with the
validation error, a bounded number of times. When either loop runs out, the user gets the
offline judge's feedback, clearly labelled as the fallback.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage
from pydantic import BaseModel, Field, ValidationError, ValidationInfo, model_validator

from agents.config import Settings
from agents.domain.feedback import CriterionResult, Disagreement, EvidenceQuote, Feedback, JudgeKind
from agents.domain.library import PromptLibrary
from agents.domain.transcript import Role, Transcript
from agents.errors import ModelUnavailableError, validation_problems
from agents.judging.offline import OfflineJudge, answers_of, assemble_feedback, setting_of, verify_quotes
from agents.models.gateway import ModelGateway, human, system
from agents.privacy.scrubber import Scrubber

_FENCE_RE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


class JudgeOutputError(Exception):
    """The judge's reply stayed unusable after the allowed re-asks."""


class ModelCriterionVerdict(BaseModel):
    """One criterion as the model judge reports it: evidence first, then reasoning, then verdict."""

    id: str = Field(description="A criterion id from the rubric, e.g. 'S1'.")
    evidence: list[EvidenceQuote] = Field(
        default_factory=list, max_length=3, description="Up to two exact quotes from candidate turns."
    )
    reasoning: str = Field(description="One sentence: why the criterion is or is not met explicitly.")
    met: bool = Field(description="True only if the candidate states it clearly and explicitly.")


class ModelJudgement(BaseModel):
    """The whole structured reply: every criterion exactly once."""

    criteria: list[ModelCriterionVerdict] = Field(description="Every criterion asked for, each exactly once.")

    @model_validator(mode="after")
    def _all_criteria_once(self, info: ValidationInfo) -> ModelJudgement:
        wanted = list((info.context or {}).get("criteria", []))
        if not wanted:
            raise ValueError("no criteria to check the reply against")  # a caller bug, not the model's
        ids = [c.id for c in self.criteria]
        missing = [c for c in wanted if c not in ids]
        extra = sorted({c for c in ids if c not in wanted})
        dupes = sorted({c for c in ids if ids.count(c) > 1})
        problems = []
        if missing:
            problems.append(f"missing criteria {missing}")
        if extra:
            problems.append(f"unknown criteria {extra}")
        if dupes:
            problems.append(f"criteria listed twice {dupes}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


# The request schema's bounds on what one verdict may write. Validation stays lenient (a provider
# that treats the schema as guidance is not re-asked over a long sentence); a server that decodes by
# the schema can write at most about 1,100 characters a criterion, some 350 tokens.
REASONING_MAX_CHARS = 400
QUOTE_MAX_CHARS = 300
QUOTES_MAX = 2


@lru_cache(maxsize=1)
def judgement_schema() -> dict[str, Any]:
    """The JSON schema of the judge's reply, as the prompt shows it (the same for every call)."""
    return ModelJudgement.model_json_schema()


@lru_cache(maxsize=64)
def request_schema(criteria: tuple[str, ...]) -> dict[str, Any]:
    """The schema sent as the response format of one request: exactly these criteria, in this
    order, each with its id fixed. A server that decodes by schema (llama.cpp, vLLM, Ollama) can
    then only write a judgement with every criterion once; others treat it as guidance, and the
    reply is validated either way."""
    generic = ModelJudgement.model_json_schema()
    verdict = generic["$defs"]["ModelCriterionVerdict"]
    quote = generic["$defs"]["EvidenceQuote"]
    items = []
    for crit in criteria:
        item = json.loads(json.dumps(verdict))
        item["properties"]["id"] = {"const": crit, "type": "string"}
        # Bounded text, so a reply decoded by this schema always fits the token budget: a small
        # model that rambles in its reasoning is cut by the grammar, not by the length limit.
        item["properties"]["reasoning"]["maxLength"] = REASONING_MAX_CHARS
        item["properties"]["evidence"]["maxItems"] = QUOTES_MAX
        item["required"] = ["id", "evidence", "reasoning", "met"]
        item["additionalProperties"] = False
        items.append(item)
    # No `items: false` after the tuple: llama.cpp's grammar builder refuses it; the counts close it.
    criteria_schema = {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    bounded_quote = json.loads(json.dumps(quote))
    bounded_quote["properties"]["quote"]["maxLength"] = QUOTE_MAX_CHARS
    defs = {k: v for k, v in generic["$defs"].items() if k not in ("ModelCriterionVerdict", "EvidenceQuote")}
    return {
        "$defs": defs | {"EvidenceQuote": bounded_quote},
        "type": "object",
        "properties": {"criteria": criteria_schema},
        "required": ["criteria"],
        "additionalProperties": False,
    }


def extract_json(text: str) -> Any:
    """Parse JSON from a reply that may wrap it in a code fence or in prose."""
    text = text.strip()
    candidates = [text]
    candidates += [m.strip() for m in _FENCE_RE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    last: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            last = exc
    raise ValueError(f"no JSON object found ({last.msg if last else 'empty reply'})")


def render_transcript(transcript: Transcript, redactor: Scrubber | None = None, limit: int | None = None) -> str:
    """Number every turn so quotes can name their turn; answers cut to the budget and scrubbed."""
    lines = []
    for turn in transcript.turns:
        who = "Candidate" if turn.role is Role.CANDIDATE else "Interviewer"
        text = turn.text
        if limit and turn.role is Role.CANDIDATE and len(text) > limit:
            text = text[:limit] + f" [answer cut at {limit} characters]"
        if redactor is not None:
            text = redactor.scrub(text).text
        lines.append(f"[Turn {turn.index + 1}] {who}: {text}")
    return "\n\n".join(lines)


class LLMJudge:
    """Scores a transcript with a model; falls back to the offline judge, labelled, on failure."""

    def __init__(self, settings: Settings, library: PromptLibrary, gateway: ModelGateway | None = None) -> None:
        self.settings = settings
        self.library = library
        self.gateway = gateway or ModelGateway(settings, "judge")
        self.offline = OfflineJudge(library, settings.coach_max_answer_chars)
        self.redactor = Scrubber(allow_file=library.privacy_allow_file)
        self._system: str | None = None
        self._fence_secret = secrets.token_bytes(32)

    @property
    def name(self) -> str:
        """The judge model's name."""
        return self.gateway.model_name

    def messages(self, transcript: Transcript, fence: str, criteria: Sequence[str] | None = None) -> list[BaseMessage]:
        """System prompt (stable, cacheable) first; the fenced transcript last."""
        # The system prompt carries no per-run value, so providers can cache it across calls.
        if self._system is None:
            self._system = self.library.template("judge_system").render(
                rubric_version=self.library.rubric.version,
                criteria=self.library.criteria_brief(),
                count=str(len(self.library.rubric.criterion_ids)),
                decision_rules=self.library.decision_rules(),
                schema=json.dumps(judgement_schema()),
            )
        sys_text = self._system
        every = self.library.rubric.criterion_ids
        criteria = every if criteria is None else criteria
        scope = (
            f"all {len(every)} criteria"
            if list(criteria) == every
            else f"only these criteria: {', '.join(criteria)} (list exactly these, each once)"
        )
        user_text = self.library.template("judge_user").render(
            scope=scope,
            fence=fence,
            transcript=render_transcript(transcript, self.redactor, self.settings.coach_max_answer_chars),
        )
        return [system(sys_text), human(user_text)]

    async def verdicts(
        self, transcript: Transcript, criteria: Sequence[str] | None = None
    ) -> dict[str, CriterionResult]:
        """Ask the model for `criteria` (every criterion by default), re-asking with the validation
        error when the reply is unusable."""
        # Unguessable by the candidate (a per-process secret), yet the same for every call about
        # one interview, so a provider's prompt cache can reuse the earlier calls' transcript text.
        fence = hmac.new(self._fence_secret, transcript.id.encode(), hashlib.sha256).hexdigest()[:16]
        wanted = list(self.library.rubric.criterion_ids if criteria is None else criteria)
        messages = self.messages(transcript, fence, wanted)
        # Cache key: the same request whatever the fence (a random token that occurs nowhere else).
        stable = [type(m)(content=str(m.content).replace(fence, "FENCE")) for m in messages]
        schema = request_schema(tuple(wanted))
        for attempt in range(self.settings.coach_judge_reasks + 1):
            reply = await self.gateway.complete_json(messages, schema, "judgement", cache_messages=stable)
            try:
                parsed = ModelJudgement.model_validate(extract_json(reply), context={"criteria": wanted})
            except (ValueError, ValidationError) as exc:
                error = _short_error(exc)
                if attempt >= self.settings.coach_judge_reasks:
                    raise JudgeOutputError(error) from exc
                reask = [
                    AIMessage(content=reply[:4000]),
                    human(self.library.template("judge_reask").render(error=error, ids=", ".join(wanted))),
                ]
                messages = [*messages, *reask]
                stable = [*stable, *reask]
                continue
            return {
                v.id: CriterionResult(id=v.id, evidence=v.evidence, reasoning=v.reasoning, met=v.met)
                for v in parsed.criteria
            }
        raise JudgeOutputError("no usable reply")  # pragma: no cover - loop always returns or raises

    async def all_verdicts(self, transcript: Transcript) -> dict[str, CriterionResult]:
        """Every criterion's verdict: in one call, or (COACH_JUDGE_SPLIT=dimension) one call per
        dimension, one after another so each reuses the prompt the last one left on the server."""
        if self.settings.coach_judge_split != "dimension":
            return await self.verdicts(transcript)
        results: dict[str, CriterionResult] = {}
        for dimension in self.library.rubric.dimensions:
            results |= await self.verdicts(transcript, [c.id for c in dimension.criteria])
        return results

    async def evaluate(self, transcript: Transcript) -> Feedback:
        """Same as `judge` (the interface every judge shares)."""
        return await self.judge(transcript)

    async def judge(self, transcript: Transcript) -> Feedback:
        """Feedback from the model judge, or the labelled offline fallback if the model fails."""
        try:
            results = await self.all_verdicts(transcript)
        except ModelUnavailableError as exc:
            return self.offline.judge(transcript, kind=JudgeKind.FALLBACK, fallback_reason=str(exc))
        except JudgeOutputError as exc:
            reason = f"The judge model's replies could not be used ({exc})."
            return self.offline.judge(transcript, kind=JudgeKind.FALLBACK, fallback_reason=reason)
        return self.finish(transcript, results)

    def finish(self, transcript: Transcript, results: dict[str, CriterionResult]) -> Feedback:
        """Model verdicts to feedback: quotes checked against the transcript, and each suggestion
        placed beside the sentence that nearly met a criterion the model found missing. A few
        milliseconds of CPU, run in place: a worker thread would only contend for the same core."""
        dropped = verify_quotes(results, transcript)
        notes = []
        if dropped:
            notes.append(f"{dropped} quote(s) from the judge did not occur in your answers and were removed.")
        # The model decided the verdicts; the analyzer only finds, for the criteria the feedback
        # asks about, the sentence that nearly met each.
        analysis = self.offline.analyzer.feedback_analysis(
            answers_of(transcript, self.offline.max_answer_chars), setting_of(transcript, self.library)
        )
        feedback = assemble_feedback(
            transcript, results, self.library, analysis, judge=self.name, kind=JudgeKind.MODEL, notes=notes
        )
        feedback.disagreements = self.disagreements(transcript, feedback)
        return feedback

    def disagreements(self, transcript: Transcript, feedback: Feedback) -> list[Disagreement]:
        """Where the offline judge, run on the same answers, decides a criterion otherwise: shown
        beside the model's verdicts so a user sees which ones are contested (milliseconds)."""
        offline = self.offline.results(self.offline.analyze(transcript))
        out: list[Disagreement] = []
        for dimension in feedback.dimensions.values():
            for c in dimension.criteria:
                other = offline.get(c.id)
                if other is not None and other.met != c.met:
                    out.append(
                        Disagreement(
                            id=c.id,
                            name=c.name,
                            model_met=c.met,
                            offline_met=other.met,
                            offline_evidence=other.evidence,
                        )
                    )
        return out


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(validation_problems(exc, limit=5))
    return str(exc)[:300]
