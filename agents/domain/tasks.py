"""The words the report reads a task's own result by (`prompts/analyzer/tasks.yaml`): which response
a candidate ranked first, the grades they gave, the message they named, the references they flagged."""

from __future__ import annotations

from pydantic import BaseModel, Field


class TaskWords(BaseModel):
    """Phrase lists, versioned; lower-case, matched whole-phrase on folded text."""

    version: str
    better_after: list[str] = Field(min_length=1, description='"B is better": said after a label.')
    better_before: list[str] = Field(min_length=1, description='"I prefer A": said before a label.')
    better_between: list[str] = Field(min_length=1, description='"B over A": said between two labels.')
    demoting: list[str] = Field(default_factory=list, description='"rank A second": after "rank A".')
    worse_after: list[str] = Field(min_length=1, description='"A is worse": the other one is better.')
    grade_met: list[str] = Field(min_length=1)
    grade_not_met: list[str] = Field(min_length=1)
    fabricated: list[str] = Field(min_length=1, description="A clause flagging a reference as invented.")
    genuine: list[str] = Field(min_length=1, description="A clause calling a reference real.")
    quantities: list[str] = Field(default_factory=list, description="Units that make a bare number a quantity.")
    message_words: list[str] = Field(min_length=1, description='"message 6", "turn 6".')
    ordinals: dict[str, int] = Field(default_factory=dict, description='"sixth" → 6.')
