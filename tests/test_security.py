"""Security findings that need no server: revocable tokens, escaped quotes, bounded reading,
expected-revision saves, redacted endpoint URLs, socket auth checks and private files."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from agents.config import load_settings
from agents.domain.library import PromptLibrary
from agents.domain.transcript import Role, Transcript, TurnKind, load_transcript, parse_transcript_text
from agents.errors import ConflictError, TranscriptError
from agents.interview.choices import mode_line
from agents.judging.offline import OfflineJudge
from agents.reporting.report import details_markdown, to_markdown
from agents.security.files import ensure_private_dir, tighten_tree
from agents.security.markdown import md_escape, md_inline
from agents.security.tokens import FileRevocations, TokenPolicy, TokenRejected
from agents.security.urls import redact_url
from agents.security.web import normalise_origin, parse_origins, socket_auth_problem
from agents.storage.file_store import TranscriptStore

SECRET_URLS = [
    "http://user:sk-test-fake-abcdefghijkl@llm.example/v1",
    "https://llm.example/v1?api-key=sk-test-fake-abcdefghijkl",
    "https://llm.example/v1#sk-test-fake-abcdefghijkl",
]


# ----- tokens ---------------------------------------------------------------------------------


def _policy(tmp_path: Path, users: dict[str, str], clock: list[float]) -> TokenPolicy:
    return TokenPolicy(
        credential=users.get,
        secret=lambda: "x" * 48,
        revocations=FileRevocations(tmp_path / "revocations.json"),
        clock=lambda: clock[0],
    )


def test_token_claims_stop_working_after_logout_removal_and_password_change(tmp_path: Path) -> None:
    users = {"alice": "pw1", "bob": "pw2"}
    clock = [1000.0]
    policy = _policy(tmp_path, users, clock)
    alice = policy.claims("alice", "pw1")
    bob = policy.claims("bob", "pw2")
    policy.check("alice", alice)
    clock[0] = 1001.0
    policy.logout("alice")
    with pytest.raises(TokenRejected, match="logged out"):
        policy.check("alice", alice)
    policy.check("bob", bob)
    clock[0] = 1002.0
    fresh = policy.claims("alice", "pw1")
    policy.check("alice", fresh)
    # Another process (another instance on the same data folder) sees the logout too.
    with pytest.raises(TokenRejected):
        _policy(tmp_path, users, clock).check("alice", alice)
    users["alice"] = "changed"
    with pytest.raises(TokenRejected, match="password changed"):
        policy.check("alice", fresh)
    del users["bob"]
    with pytest.raises(TokenRejected, match="no longer has access"):
        policy.check("bob", bob)
    with pytest.raises(TokenRejected):
        policy.check("alice", {"role": "user"})  # a token from before these claims existed
    assert stat.S_IMODE((tmp_path / "revocations.json").stat().st_mode) == 0o600


# ----- Markdown -------------------------------------------------------------------------------

HOSTILE = "![p](http://127.0.0.1:9/x.png) <script>alert(1)</script> [x](javascript:alert(1)) **bold** `code`"


def test_escaped_text_has_no_markdown_left() -> None:
    out = md_inline(HOSTILE)
    for raw in ("![", "](", "[x]", "**", "http://"):
        assert raw not in out
    for special in ("<", "`", "[", "(", "*"):  # every one is escaped where it stands
        assert all(out[i - 1] == "\\" for i, ch in enumerate(out) if ch == special)
    assert md_escape("1. first\n- item\n# head\n> quote") == "1\\. first\n\\- item\n\\# head\n\\> quote"
    assert md_inline("a\nb\r\nc", 3) == "a…"


def test_markdown_report_quotes_render_as_text(library: PromptLibrary) -> None:
    transcript = parse_transcript_text(
        f"Interviewer: Review it.\nCandidate: The AI should not diagnose {HOSTILE}, because a missed sepsis "
        f"could kill this user {HOSTILE}.\n",
        "t.txt",
    )
    feedback = OfflineJudge(library).judge(transcript)
    assert any(HOSTILE[:10] in ev.quote for d in feedback.dimensions.values() for c in d.criteria for ev in c.evidence)
    for text in (to_markdown(feedback), details_markdown(feedback)):
        for raw in ("![p](", "<script>", "[x](javascript"):
            assert raw not in text


# ----- bounded reading ------------------------------------------------------------------------


def test_deep_json_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"schema_version": 1, "turns": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(TranscriptError, match="nested more than"):
        load_transcript(deep)


def test_deep_state_fails_validation_not_feedback(tmp_path: Path) -> None:
    nested: object = 1
    for _ in range(60):
        nested = {"x": nested}
    good = Transcript()
    good.add_turn(Role.CANDIDATE, "Call 999 now.", TurnKind.ANSWER)
    data = json.loads(good.model_dump_json())
    data["state"] = {"phase": "finished", "deep": nested}
    path = tmp_path / "state.json"
    path.write_text(json.dumps(data))
    with pytest.raises(TranscriptError, match="field state"):
        load_transcript(path)
    data["state"] = {"phase": "finished", "position": "x" * 10}
    path.write_text(json.dumps(data))
    with pytest.raises(TranscriptError, match=r"field state\.position"):
        load_transcript(path)


def test_devices_and_fifos_are_refused_without_reading(tmp_path: Path) -> None:
    # In a child with 1 GiB of address space: reading /dev/zero without a bound fails there, not here.
    child = (
        "import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from pathlib import Path; from agents.domain.transcript import load_transcript\n"
        "from agents.errors import TranscriptError\n"
        "try:\n    load_transcript(Path('/dev/zero'))\nexcept TranscriptError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", child], capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent
    )
    assert "not a regular file" in out.stdout, out.stderr[-500:]
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    result: list[BaseException | None] = []

    def read() -> None:
        try:
            load_transcript(fifo)
            result.append(None)
        except BaseException as exc:
            result.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    assert result, "reading a FIFO blocked"
    assert isinstance(result[0], TranscriptError) and "not a regular file" in str(result[0])


# ----- two writers ----------------------------------------------------------------------------


def test_a_save_from_a_stale_copy_is_refused(tmp_path: Path) -> None:
    store = TranscriptStore(tmp_path)
    transcript = Transcript()
    store.write(transcript)
    tab_one = store.load(transcript.id)
    tab_two = store.load(transcript.id)
    tab_one.add_turn(Role.CANDIDATE, "first", TurnKind.ANSWER)
    store.write(tab_one)
    tab_two.add_turn(Role.CANDIDATE, "second", TurnKind.ANSWER)
    with pytest.raises(ConflictError):
        store.write(tab_two)
    assert [t.text for t in store.load(transcript.id).candidate_turns] == ["first"]
    assert tab_two.revision == tab_one.revision - 1  # a refused save changes nothing


# ----- URLs with credentials ------------------------------------------------------------------


@pytest.mark.parametrize("url", SECRET_URLS)
def test_endpoint_urls_are_shown_without_credentials(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    settings = load_settings()
    shown = [str(settings.describe()), mode_line(settings), settings.shown_base_url, str(redact_url(url))]
    from agents.models.gateway import scrub_secrets

    shown.append(scrub_secrets(f"Connection error for {url}: refused", settings))
    for text in shown:
        assert "sk-test-fake-abcdefghijkl" not in text, text
    assert "llm.example" in settings.shown_base_url


async def test_doctor_output_hides_credentials_in_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from agents.interview.doctor import run_doctor

    monkeypatch.setenv("OPENAI_BASE_URL", "http://user:sk-test-fake-abcdefghijkl@127.0.0.1:9/v1?key=sk-zz")
    settings = load_settings()
    out = io.StringIO()
    await run_doctor(settings, out, timeout=2)
    assert "sk-test-fake-abcdefghijkl" not in out.getvalue() and "sk-zz" not in out.getvalue()


# ----- socket auth and origins ----------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        None,
        "x",
        {"sessionId": "../../etc", "clientType": "webapp"},
        {"sessionId": "/tmp/x", "clientType": "webapp"},
        {"sessionId": "0" * 36, "clientType": "webapp"},
        {"sessionId": "12345678-1234-1234-1234-1234567890AB", "clientType": "webapp"},
        {"sessionId": "12345678-1234-1234-1234-1234567890ab\n", "clientType": "webapp"},
        {"sessionId": "12345678-1234-1234-1234-1234567890ab", "clientType": "evil"},
        {"sessionId": "12345678-1234-1234-1234-1234567890ab", "clientType": "webapp", "threadId": "../x"},
    ],
)
def test_socket_auth_other_than_a_uuid_session_is_refused(auth: object) -> None:
    assert socket_auth_problem(auth) is not None


def test_origin_parsing() -> None:
    ok = {"sessionId": "12345678-1234-1234-1234-1234567890ab", "clientType": "webapp"}
    assert socket_auth_problem(ok) is None
    assert socket_auth_problem({**ok, "threadId": ""}) is None  # what the page sends for a new thread
    assert normalise_origin("HTTPS://Coach.Example.org:443/") == "https://coach.example.org"
    assert parse_origins("https://a.example, http://b.example:8080") == {"https://a.example", "http://b.example:8080"}
    with pytest.raises(ValueError, match="entry 2"):
        parse_origins("https://a.example, a.example/path")


def test_private_folders_are_tightened(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "sub").mkdir(parents=True)
    root.chmod(0o755)
    f = root / "sub" / "x.json"
    f.write_text("{}")
    f.chmod(0o644)
    tighten_tree(root)
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    assert stat.S_IMODE((root / "sub").stat().st_mode) == 0o700
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert stat.S_IMODE(ensure_private_dir(tmp_path / "new" / "deeper").stat().st_mode) == 0o700
