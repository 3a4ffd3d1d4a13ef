"""End to end in a real browser (Debian's Chromium driven by Playwright) against the app started on
a free loopback port in offline mode: a two-scenario interview typed in, a reload mid-interview,
the report (chart, six scores, band), the transcript downloaded and uploaded back for replay, and
the app killed mid-interview and restarted. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.servers import App
from tests.cli_process import saved_interviews
from tests.real_parts import require_real_part

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
DIMENSIONS = [
    "Safety and harm",
    "Scope and escalation",
    "Clinical judgement",
    "Uncertainty",
    "Consistency",
    "Framing and structure",
]
ANSWERS = [
    "I'd get them seen.",
    "The AI should tell them to call 999 now because this could be a heart attack, and this user is at risk.",
    "The AI should not give a dose. It should first ask about other medicines, because we don't know her history.",
    "As I said earlier, the same threshold applies: red flags mean urgent escalation.",
    "Nothing more to add.",
    "Nothing more to add.",
    "Nothing more to add.",
]

pytestmark = [pytest.mark.browser]


@pytest.fixture(autouse=True)
def chromium_installed() -> None:
    require_real_part(Path(CHROMIUM).exists(), "Debian's chromium", "apt-get install chromium")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    running = App(tmp_path / "data")
    running.data_dir.mkdir()
    running.start()
    yield running
    running.kill()


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Chat:
    """Helpers over the Chainlit page's stable ids."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.msgs = page.locator('[data-step-type="assistant_message"] .message-content')  # type: ignore[attr-defined]

    def texts(self) -> list[str]:
        return list(self.msgs.all_inner_texts())

    def settle(self, before: int, timeout: float = 45) -> None:
        deadline = time.time() + timeout
        while self.msgs.count() <= before:
            assert time.time() < deadline, "no reply from the app"
            time.sleep(0.2)
        last, stable = -1, 0
        while stable < 6 and time.time() < deadline:
            count = self.msgs.count()
            stable = stable + 1 if count == last else 0
            last = count
            time.sleep(0.25)

    def send(self, text: str) -> None:
        before = self.msgs.count()
        self.page.fill("textarea#chat-input", text)  # type: ignore[attr-defined]
        self.page.click("#chat-submit")  # type: ignore[attr-defined]
        self.settle(before)

    def judging(self) -> bool:
        """Whether the judge's step is on the page (the interview has ended)."""
        return bool(self.page.locator('[data-step-type="tool"]').count())  # type: ignore[attr-defined]

    def report_done(self) -> bool:
        return any(t.startswith("Feedback") for t in self.texts())

    def scores(self, which: int = -1) -> dict[str, int]:
        summary = [t for t in self.texts() if t.startswith("Feedback")][which]
        found = {}
        for name in DIMENSIONS:
            m = re.search(re.escape(name) + r"\s+(\d)/4", summary)
            assert m, f"{name} missing from the report"
            found[name] = int(m.group(1))
        return found


def _wait_until(condition: object, seconds: float, message: str, chat: Chat | None = None) -> None:
    """Poll `condition()` until it is true; fail with `message` after `seconds` (and, given the
    chat, the last messages it shows, so a failure in CI says what the page was doing)."""
    deadline = time.time() + seconds
    while not condition():  # type: ignore[operator]
        if time.time() >= deadline:
            shown = "\n---\n".join(t[:300] for t in chat.texts()[-4:]) if chat is not None else ""
            last = f"; the page's last messages:\n{shown}" if shown else ""
            raise AssertionError(f"{message} within {seconds:g} s{last}")
        time.sleep(0.3)


# Chainlit's microphone button has no id: it sits before the upload button, and it shows the level
# meter (a canvas) while recording, a spinner while connecting, the microphone icon when off.
_MICROPHONE_STATE = """() => {
  const slot = document.querySelector('#upload-button')?.closest('span')?.previousElementSibling;
  if (!slot) return 'absent';
  if (slot.querySelector('canvas')) return 'on';
  if (slot.querySelector('path[d^="M9.5 4C"]')) return 'off';
  return 'connecting';
}"""


def _microphone(page: object) -> str:
    """'on', 'off', 'connecting' or 'absent': the state of the page's microphone button."""
    return str(page.evaluate(_MICROPHONE_STATE))  # type: ignore[attr-defined]


def _open(page: object, url: str) -> None:
    """Load the app and wait until its session is connected (uploads need the session id)."""
    page.goto(url)  # type: ignore[attr-defined]
    page.wait_for_selector("#chat-input", timeout=30000)  # type: ignore[attr-defined]
    page.wait_for_selector("#starters, [data-step-type='assistant_message']", timeout=30000)  # type: ignore[attr-defined]
    time.sleep(1.5)  # the welcome screen fades in and the socket settles


def _shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))  # type: ignore[attr-defined]


def _answer_until_report(chat: Chat, answers: list[str]) -> None:
    for answer in answers:
        if chat.report_done():
            return
        chat.send(answer)
    _wait_until(chat.report_done, 30, "the feedback report never appeared")


def test_interview_report_download_and_replay(app: App, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800}, accept_downloads=True)  # type: ignore[attr-defined]
    page.goto(app.url)
    page.wait_for_selector("#chat-input", timeout=30000)
    page.wait_for_selector("#starters", timeout=30000)
    time.sleep(1.5)  # the welcome screen fades in
    _shot(page, "01-welcome.png")
    chat = Chat(page)
    chat.send("Start interview: doctor, uk, 2 scenarios")
    texts = chat.texts()
    assert any("offline mode" in t.lower() for t in texts), "the intro says the app is in offline mode"
    assert any("Scenario 1 of 2" in t for t in texts)
    _shot(page, "02-interview.png")

    chat.send(ANSWERS[0])
    # A refresh mid-interview picks the interview up where it was, with every answer kept.
    page.reload()
    page.wait_for_selector("#chat-input")
    _wait_until(
        lambda: any("Welcome back" in t for t in chat.texts()), 20, "the interview was not resumed after a reload"
    )
    assert any("1 answer(s) saved" in t for t in chat.texts())
    _answer_until_report(chat, ANSWERS[1:])

    summary = page.locator('[data-step-type="assistant_message"]', has_text="Band:").last
    summary.scroll_into_view_if_needed()
    page.wait_for_selector(".js-plotly-plot, .inline-plotly", timeout=20000)
    time.sleep(1)
    _shot(page, "03-report-1280.png")
    first = chat.scores()
    assert len(first) == 6 and all(0 <= v <= 4 for v in first.values())
    shown = chat.texts()
    assert any(re.search(r"Band: (Strong|Borderline|Needs work)", t) for t in shown)
    # After the feedback, a strong answer to each question, marked by what each sentence earned.
    band_at = max(i for i, t in enumerate(shown) if "Band:" in t)
    assert any(t.startswith("A strong answer to:") for t in shown[band_at:])

    link = page.locator('a[download$="-transcript.json"]').last
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / "downloaded-transcript.json"
    info.value.save_as(saved)
    assert '"schema_version": 1' in saved.read_text()

    before = chat.msgs.count()
    page.set_input_files("#upload-button-input", str(saved))
    page.wait_for_selector("#attachments", timeout=10000)
    page.wait_for_selector("#chat-submit:not([disabled])", timeout=20000)
    page.click("#chat-submit")
    chat.settle(before)
    _wait_until(
        lambda: len([t for t in chat.texts() if t.startswith("Feedback")]) >= 2,
        30,
        "the uploaded transcript was not judged",
    )
    assert chat.scores(-1) == first, "the re-uploaded transcript gets the same scores"

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator('[data-step-type="assistant_message"]', has_text="Band:").last.scroll_into_view_if_needed()
    time.sleep(1)
    _shot(page, "04-report-phone.png")


def test_bad_upload_gets_a_clear_message(app: App, browser: object, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    _open(page, app.url)
    chat = Chat(page)
    bad = tmp_path / "notes.txt"
    bad.write_text("Just some notes without any labels.\n")
    before = chat.msgs.count()
    page.set_input_files("#upload-button-input", str(bad))
    page.wait_for_selector("#attachments", timeout=20000)
    page.wait_for_selector("#chat-submit:not([disabled])", timeout=30000)
    page.click("#chat-submit")
    chat.settle(before)
    assert any("Could not read notes.txt" in t and "Interviewer:" in t for t in chat.texts())


def test_killed_app_restarts_without_losing_an_answer(app: App, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    _open(page, app.url)
    chat = Chat(page)
    chat.send("Start interview: nurse, us, 2 scenarios")
    chat.send(ANSWERS[1])
    chat.send(ANSWERS[2])
    app.kill()  # SIGKILL mid-interview
    app.start()
    page.goto(app.url)
    page.wait_for_selector("#chat-input")
    _wait_until(
        lambda: any("Welcome back" in t for t in chat.texts()), 30, "the interview did not resume after a restart"
    )
    assert any("2 answer(s) saved" in t for t in chat.texts())
    _answer_until_report(chat, ANSWERS[3:])


def test_an_interview_answered_entirely_by_voice(tmp_path: Path) -> None:
    """Chromium's fake microphone plays a spoken answer (espeak-ng); each answer is recorded with the
    microphone button, heard by the local Whisper model, shown for a check, used as heard, and the
    interview reaches its report, with what was heard saved in the transcript."""
    import shutil
    import subprocess

    from playwright.sync_api import sync_playwright

    require_real_part(shutil.which("espeak-ng") is not None, "espeak-ng", "apt-get install espeak-ng")
    spoken = tmp_path / "spoken.wav"
    subprocess.run(
        [
            "espeak-ng", "-v", "en-gb", "-s", "150", "-w", str(spoken),
            "This answer is unsafe because it misses an emergency. The AI should tell her to call nine nine nine now.",
        ],
        check=True,
    )  # fmt: skip
    answer = tmp_path / "answer.wav"  # the fake microphone loops the file: speech, then a pause
    subprocess.run(["sox", str(spoken), "-r", "48000", str(answer), "pad", "0", "2"], check=True)
    running = App(tmp_path / "data")
    running.data_dir.mkdir()
    running.start()
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    *CHROMIUM_ARGS,
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={answer}",
                    "--autoplay-policy=no-user-gesture-required",
                ],
            )
            page = b.new_page(viewport={"width": 1280, "height": 900})
            page.context.grant_permissions(["microphone"], origin=running.url)
            _open(page, running.url)
            chat = Chat(page)
            chat.send("Start interview: doctor, uk, 1 scenarios")
            for _ in range(4):
                # The last answer starts the judge (its step shows at once, the report a moment later):
                # then there is nothing left to answer.
                if chat.report_done() or chat.judging():
                    break
                before = chat.msgs.count()
                page.evaluate("document.activeElement && document.activeElement.blur()")
                page.keyboard.press("p")  # the microphone button's shortcut
                # The first press loads the speech model: speak only once the microphone is on, as a
                # user waits for the spinner to end (a second press while it spins would start again).
                _wait_until(lambda: _microphone(page) == "on", 60, "the microphone never came on", chat)
                time.sleep(9)
                page.keyboard.press("p")
                _wait_until(lambda: _microphone(page) == "off", 30, "the microphone did not stop", chat)
                heard = lambda at=before: any("I heard" in t for t in chat.texts()[at:])  # noqa: E731
                _wait_until(heard, 60, "nothing was heard", chat)
                _shot(page, "05-voice-heard.png")
                before = chat.msgs.count()
                page.get_by_role("button", name="Use as heard").last.click()
                chat.settle(before, timeout=60)
            _wait_until(chat.report_done, 60, "the report never appeared after spoken answers")
            delivery = page.locator('[data-step-type="assistant_message"]', has_text="Delivery (spoken").last
            delivery.wait_for(timeout=20000)
            delivery.scroll_into_view_if_needed()
            time.sleep(0.5)
            _shot(page, "06-voice-delivery.png")
            assert any(t.startswith("Delivery (spoken answers") for t in chat.texts())
            b.close()
    finally:
        running.kill()
    (saved,) = saved_interviews(tmp_path / "data")
    turns = [t for t in saved["turns"] if t["role"] == "candidate"]
    assert turns and all(t["spoken"] is not None for t in turns)
    assert any("999" in t["text"] and "unsafe" in t["spoken"]["heard"].lower() for t in turns)
    assert not list((tmp_path / "data" / "recordings").rglob("*.wav"))  # each saved answer's audio is gone
