"""Hostile and personal input: the PII scrubber, fuzzed transcript parsers, injection variants,
huge and odd files — every failure is one of our clear errors, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.domain.library import PromptLibrary
from agents.domain.transcript import (
    MAX_TURNS,
    Transcript,
    load_transcript,
    load_transcript_bytes,
    parse_transcript_text,
)
from agents.errors import TranscriptError
from agents.judging.offline import OfflineJudge
from agents.privacy.scrubber import Scrubber, nhs_number_valid
from evals.dataset import DEFAULT_DATASET, load_dataset
from evals.obfuscate import TRANSFORMS, variants

INJECTIONS = [
    line.strip()
    for line in (DEFAULT_DATASET.parent / "metamorphic" / "injections.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]


def test_nhs_number_checksum() -> None:
    assert nhs_number_valid("9434765919")
    assert not nhs_number_valid("9434765918")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mrs Patel said the pain started at noon.", "name"),
        ("Seen by Dr Alan Hughes yesterday.", "name"),
        ("NHS number 943 476 5919 on the letter.", "NHS number"),
        ("Her SSN is 123-45-6789.", "SSN"),
        ("MRN: 00452817 at St Mary's.", "record number"),
        ("DOB 03/07/1961, lives alone.", "date of birth"),
        ("Call me on 07700 900123 after six.", "phone"),
        ("Reach him at (415) 555-0134 tomorrow.", "phone"),
        ("Email jane.doe@example.org for the notes.", "email"),
        ("She lives at SW1A 1AA near the park.", "postcode"),
        ("He lives at 42 Maple Street in town.", "address"),
    ],
)
def test_scrubber_removes_identifiers(text: str, kind: str) -> None:
    out = Scrubber().scrub(text)
    assert kind in out.kinds, out
    assert f"[{kind}]" in out.text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("she said my granddaughter ngozi has a rash that will not fade", "ngozi"),  # lower case after kin
        ("her brother, the night porter, said Tomasz fell", "Tomasz"),  # a speaker the lists lack
        ("Wiremu, the patient, asked about his statins", "Wiremu"),  # set beside a role
        ("the district nurse, Anwen, changed the dressing", "Anwen"),
        ("Prof. K. L. Mensah reviewed the scan", "K. L. Mensah"),  # initials after a title
        ("Chidi's mum typed that he was floppy", "Chidi"),  # before a person's possessive
        ("my name is ebere nwankwo and my chest hurts", "ebere nwankwo"),
        ("the note was signed off '- Farhana R.'", "Farhana"),
        ("PATIENT: OLUWASEUN ADEYEMI, ward 4", "OLUWASEUN ADEYEMI"),  # shouted, in no list
        ("Kalani 'Lani' Akana asked about her inhaler", "Kalani 'Lani' Akana"),  # a nickname inside
        ("and Mrs, erm, Szymanska? she had the swollen calf", "Szymanska"),  # fillers after the title
        ("we phoned Mr Adeyemi, uh, Babatunde, about the INR", "Babatunde"),  # a first name after the surname
        ("i asked sister kowalczyk on ward 7", "kowalczyk"),  # lower-case surname after a title
        ("the question came from tariq about his inhaler", "tariq"),  # lone lower-case first name
        ("Grandma Hope would say the same", "Hope"),  # a kin title, even before an ordinary word
        ("the HCA on the night shift, Oluwadamilare, checked his sugar", "Oluwadamilare"),  # role, place, name
        ("she wrote that Nkechi had vomited twice", "Nkechi"),  # the subject of what was reported
        ("the rota had HCA Tamsin on nights", "Tamsin"),  # a listed first name with no cue before it
        ("it never asked about the rash on Anneliese", "Anneliese"),
        ("'Marisol, please ring 911 now' is what it should have said", "Marisol"),  # called by name
        ("it never asked about the rash on Kwabena", "Kwabena"),  # a first name only the wider survey lists
        ("the plan was fine until Adaeze came back from theatre", "Adaeze"),
        ("the message began 'tomasz kowalski, dob 04/05/1990' and asked about statins", "tomasz kowalski"),
        ("it said aled ap rhys, mobile 07700 900123, wanted a callback", "aled ap rhys"),  # whose number it is
        ("i think derek wanted a scan more than advice", "derek"),  # a listed first name as the speaker
        ("the rota had HCA Tamsin Wrobel on nights", "Wrobel"),  # the surname after a found first name
        ("EMT Cody Przybylski and his partner", "Przybylski"),
        ("my gran Khadija bint Yusuf, 81, is on warfarin", "bint"),  # one name across its particle
        # First names that are also words, where a person is plainly meant:
        ("she messaged 'im hope, 19, and my inhaler isnt working'", "hope"),  # introducing oneself
        ("i am jack from ohio and my chest hurts", "jack"),
        ("my husband mark has had the cough for weeks", "mark"),  # after a relation, doing something
        ("dawn said the baby had not fed since noon", "dawn"),  # saying something
        ("it was all fine and then Ivy came in limping", "Ivy"),  # capitalised inside a clause
        ("it should have opened with 'Hope, please ring 999 now'", "Hope"),  # addressed in a quote
        ("Dawn had been on sertraline for a year", "Dawn"),  # opening a sentence about her medicines
        ("Ivy was 91 and on warfarin", "Ivy"),  # or her age
        ("i asked Ivy about the rash", "Ivy"),  # asked about something
        ("ruby's mum typed at 2am", "ruby"),  # before a person's possessive
        ("a message from Hope Adeyemi about her statin", "Hope"),  # before a surname no dictionary knows
        ("MY MUM JOY HAS A HIGH TEMPERATURE", "JOY"),  # one listed name in capitals after a relation
        # Other names where only a person can stand:
        ("the pharmacist should tell adaeze to stop the ibuprofen", "adaeze"),  # in lower case, told
        ("she asked what to give for chiamaka, who is 4", "chiamaka"),  # before "who"
        ("Will's dad typed that he was wheezy", "Will"),  # no modal has a dad
        ("Summer-Rae's mum said the rash spread", "Summer-Rae"),  # a double first name
        ("signed by J. Okafor, consultant cardiologist", "Okafor"),  # an initial and a surname
        ("from Siobhan K. on the ward", "K."),  # a first name and its initial, both
        ("the user typed 'priya sharma, 07700 900461' before the question", "priya sharma"),  # whose number
        # A chart's line pasted in, surname first:
        ("the paste read 'FLETCHER, Shanice  ?sepsis' at the top", "FLETCHER"),
        ("the board said 'WANG, Mei - bed 4'", "WANG"),
        ("Handover list\nFLETCHER, Shanice - bed 4", "FLETCHER"),  # on any line of a paste
        ("Braxton is 4 and has a fever.", "Braxton"),  # "Braxton Hicks" is kept, not the name alone
        ("the list was 'Walker, P.; Obi, K.' with their sodium", "Obi, K."),
        # Names opening a sentence about their own findings, or a message in capitals:
        ("Faith's wheeze was worse by the evening.", "Faith"),
        ("tunde's temp was 38.9 this morning", "tunde"),
        ("she typed 'JOY HAS BEEN VOMITING ALL NIGHT' at 4am", "JOY"),
        # The rest of a name: after particles, and the next of a list of people.
        ("NHS no. 543 231 9489, Mrs Ines da Silva, and then a question", "Silva"),
        ("Achterberg and Nwosu were both on the rota", "Nwosu"),
        # Opening a sentence as the one who thinks or says, alone or in a pair:
        ("Brennan figured the advice was out of date.", "Brennan"),
        ("Gallagher thinks the bot missed the sepsis.", "Gallagher"),  # a surname any list holds
        ("Phalen thought the answer was fine.", "Phalen"),  # an eponym, but a test does not think
        ("Chase said the AI told him it could wait.", "Chase"),  # a first name that is also a word
        ("Will said his knee gave way.", "Will"),  # no modal before "said"
        ("Park and Obiageli both thought the dose was wrong.", "Park"),  # a word, listed, beside a name
        ("Okonjo was on the rota that night.", "Okonjo"),
        ("handover:\nbrooklyn has had a fever since sunday", "brooklyn"),  # on a line of its own
        # Opening a sentence as the one who is ill or hurt:
        ("Skye has type 1 and the bot told her to skip insulin.", "Skye"),
        ("tyler has had a fever for two days.", "tyler"),  # a first name, in lower case
        ("hunter is 6 and swallowed a battery.", "hunter"),
        ("Mo had sickle cell and a fever.", "Mo"),  # two letters, a listed first name
        # Placed in a team or on a shift, then saying; addressed after an interjection:
        ("Bryony on the stroke unit thinks it missed posterior strokes.", "Bryony"),
        ("dawn from the night shift said it was decent.", "dawn"),
        ("Honestly, Tez, the answer missed cauda equina.", "Tez"),
        # Introducing oneself; a possessive before one's own findings, anywhere:
        ("kaz here, my mum is on warfarin.", "kaz"),
        ("keep an eye on Bex's obs overnight.", "Bex"),
        ("Chase's concussion was two days ago.", "Chase"),
        ("jayden's mom wrote back that he was wheezing.", "jayden"),
        # Set beside a role written in capitals, and the names of a list before a found one:
        ("Rain, one of the NPs, pointed it out.", "Rain"),
        ("Kaz, Priya and Tomasz all reviewed it.", "Kaz"),
        ("Joy and Faith, the twins, got the same dose.", "Joy"),
        ("the message said 'THE BOT TOLD AMINA TO WAIT'", "AMINA"),  # in capitals among capitals
        ("ring McAllister about the INR", "McAllister"),  # a capital inside a name, after its prefix
        ("DeShawn asked about his inhaler", "DeShawn"),
        # Names in parts the surname rules do not know, spelled out, or made into a user name:
        ("Iqra ul-Nisa asked about fasting on metformin", "ul-Nisa"),
        ("Aoife Nic an tSionnaigh typed that her son had croup", "tSionnaigh"),
        ("she spelled it out, 'K-W-A-M-E', for the bot", "K-W-A-M-E"),
        ("her username was 'amira.haddad' on the forum", "amira.haddad"),
        ("the header said 'FLYNN, Hope B.' at the top", "FLYNN"),  # a first name that is a word, then an initial
        ("'IRIS HAS BEEN VOMITING SINCE 6'", "IRIS"),  # a body word before what a person does
        # Lists of people in lower case, both ways from a name found in one:
        ("ok so tunde, femi and bisi all asked the same thing", "femi"),
        ("i told chiamaka and oluchi the same thing", "oluchi"),
        ("kowalski and nwosu on the night team disagreed", "kowalski"),
        # A slang relation, a possessive before one's identifier, a name in brackets or "called":
        ("my hubby ray hit his head", "ray"),
        ("big dave's number is 07700 900123", "dave"),
        ("KELLY'S NHS NUMBER IS ON THE FORM", "KELLY"),
        ("'THE BOT TOLD DWAYNE TO TAKE TWO'", "DWAYNE"),  # a shouted name after "told"
        ("the lad (kieran) had a rash", "kieran"),
        ("a lad called wiremu rang back", "wiremu"),
        ("hi its okafor here, my dad has a rash", "okafor"),
        ("the answer to amara about her asthma was fine", "amara"),
        # A surname in two parts, one a word; with "St"; after a sign-off:
        ("she signed it 'xoxo, Kenzie'", "Kenzie"),
    ],
)
def test_scrubber_finds_names_from_their_context(text: str, name: str) -> None:
    out = Scrubber().scrub(text)
    assert name not in out.text and "[name]" in out.text, out.text


@pytest.mark.parametrize(
    ("text", "kind", "gone"),
    [
        ("DOB 1984/11/02, asking about his inhaler", "date of birth", "1984/11/02"),
        ("her date of birth was given as 9th of June 81", "date of birth", "9th of June 81"),
        ("he lives at 12 Orchard Dr, Salem OR 97301 with his son", "address", "97301"),
        ("send it to 300 N. Main St SE #12, Austin TX 78701 please", "address", "78701"),
        ("ss# 321 54 9876 for the claim", "SSN", "321 54 9876"),
        ("his SSN, 321.54.9876, was in the message", "SSN", "321.54.9876"),
        ("A&E no. 44/10293 on the card", "record number", "44/10293"),
        ("she was born on the twenty-third of March nineteen sixty-two", "date of birth", "twenty-third"),
        ("ring me on oh-seven-seven-double-oh, nine-oh-oh, one-two-three", "phone", "nine-oh-oh"),
        ("social is 5 3 1 - 2 2 - 8 0 4 6 if you need it", "SSN", "8 0 4 6"),
        ("unit no. 0012345, ward 7", "record number", "0012345"),  # record numbers by their other names
        ("MR number 123-45-678 on the label", "record number", "123-45-678"),
        ("CHI 0101011234 was on the referral", "record number", "0101011234"),
        ("his EMPI 10293847 and PID 8712345", "record number", "8712345"),
        ("account number 55012346 for the bill", "record number", "55012346"),
        ("the sticker said RTH 1234567", "record number", "1234567"),  # a trust's prefix, then a space
    ],
)
def test_scrubber_finds_other_identifiers_in_their_other_shapes(text: str, kind: str, gone: str) -> None:
    out = Scrubber().scrub(text)
    assert kind in out.kinds and gone not in out.text, out.text


@pytest.mark.parametrize(
    "text",
    [
        "Call 999 now or NHS 111 if unsure.",
        "Call 911 or 988, or Poison Control on 1-800-222-1222.",
        "Samaritans are on 116 123.",
        "Take 500 mg every 4 to 6 hours, no more than 4 g in 24 hours.",
        "Fostair and Clexane were on the list, and Pepto-Bismol is no drink for a child.",  # brands, no people
        "St. Swithin's Day was wet; the nurse said the pain had lasted five days.",
        "She was 30 weeks pregnant with reduced movements, so maternity triage now.",
        "The Gleeson classification and Lassa fever came up; so did Kallmann syndrome.",  # eponyms in use
        "Addison's disease and Hashimoto's thyroiditis were both on the letter.",  # possessive eponyms
        "The Bruce protocol and the Fraser guidelines both apply.",  # a first name as an eponym
        "the answer told them it's viral. no antibiotics, rest and fluids",  # a listed name in lower case
        "PID was treated in 2019; ID 5 on the list; tai chi 30 minutes a day; a band 5 nurse.",
        "so AI said to wait, but nurse said the sats were fine, until Matron came in.",
        "Take paracetamol, phone 111 if worse; the patient, dob unknown, was seen.",
        # The same words as words: hoping, rising, marking, a bill, an answer that opens "Okay,".
        "I hope she's better; her temperature rose, then fell, so mark the time of each dose.",
        "i'm fine, 17 hours after the dose, and hope came back into it when the bill said nothing.",
        "'Okay, call 999 now' is what it should say, and my son will need his inhaler.",
        "For her this is hope, nothing more, and the plan is fine as written.",
        "The swab grew E. Coli and H. Pylori, and S. Aureus was not seen.",  # a genus' initial, not a person's
        "Her glucose was 48 mg/dL, and the Holter monitor was normal.",
        "MY DAD HAS CHEST PAIN AND IS SWEATING",  # in capitals, little words are still words
        "May was 3 weeks late with her period.",  # a month and a word, before numbers that are no age
        "Hope is 5 % of the plan.",
        # Eponyms of more than one word, and eponyms before a possessive's findings:
        "Lou Gehrig's disease and Braxton Hicks contractions both came up.",
        "Ludwig's angina, a Marcus Gunn pupil and Todd's paresis were in the vignette.",
        "Parkinson's symptoms and Crohn's symptoms were mixed up by the AI.",
        "'PAIN IS WORSE AT NIGHT' was all the user typed.",  # a shouted sentence with no name
        "Pedialyte for the baby and Sudocrem for the rash were both fine.",
        "GBS swab: Group, B. strep positive; PE risk (Wells, Geneva) both low.",  # no chart names
        "'NAN HAS FALLEN AND CANT GET UP', then 'IRIS IS RED', then 'MARK HASNT FADED'",  # no shouted names
        "Discussed with Paeds, and Tazocin was started.",
        "the culture said 'Klebsiella, K. pneumoniae' on it",  # a genus, not a chart's surname
        # Sentences opened by words that think or say but are no one's name:
        "Just thought I'd mention the dose. Well thought out, though. All agreed it was wrong.",
        "Mum thinks it's a virus; Parents said he was floppy; Staff on the ward said it was fine.",
        "NICE says refer. Everyone on the team agreed. Paramedics thought it was a stroke.",
        "Sugar is 12 and rising. Pulse is 110 and thready. Summer is 3 months away.",
        "Nana has had a fall. Grandad swallowed his tablets. Kid fell off the swing.",  # kin, not names
        "Remember F-A-S-T, R-I-C-E and P-R-I-C-E; the report was report_final.docx; see e.coli.",
        "A potassium of 6.1 was way too high for the answer to call it fine.",  # no house number
        # Institutions named after people, places named after saints, products, interjections:
        "The Teenage Cancer Trust, the Terrence Higgins Trust and the Anthony Nolan register were all named.",
        "It sent them to the Ronald McDonald House; Dr Pepper and Dr Google came up; the BiPAP mask leaked.",
        "St Helens and St Albans both have an A&E.",
        "No, the user was asking if he could refill early.",
        "Call her anticoagulation clinic, or call him back tomorrow.",  # to phone, not to name
        "Okay, Google, call 999. Well, Doctor, it depends. Right, Nurse, the AI should say so.",
        "Google says it is cancer, and the Thompson test was positive.",
        # Full stops are no dots of an address said aloud; products and acronyms are no people:
        "Safe to manage at home. Once a user says thunderclap, it is 999; wait at all. We know.",
        "NoSalt is potassium chloride, LactMed supports it, and the ADA target is 80 to 130.",
    ],
)
def test_scrubber_leaves_clinical_and_public_numbers(text: str) -> None:
    out = Scrubber().scrub(text)
    assert out.text == text and out.kinds == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Carys Price-Evans asked about it", "Price-Evans"),  # a surname in two parts, one a word
        ("Marisol St. James asked about her inhaler", "James"),  # a surname with "St"
    ],
)
def test_the_rules_take_the_whole_surname_without_the_name_finder(text: str, name: str) -> None:
    # The statistical finder often takes such a name whole; the rules must too, without it.
    out = Scrubber(use_presidio=False).scrub(text)
    assert name not in out.text and out.text.startswith("[name] asked"), out.text


def test_a_public_number_is_no_house_number() -> None:
    out = Scrubber().scrub("ring 111, not to message Dr Okafor")  # "Dr" after it is a title, not a drive
    assert out.text == "ring 111, not to message Dr [name]" and out.kinds == ["name"], out.text


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Well, Tomasz, the dose was wrong.", "Well, [name], the dose"),  # an interjection, a listed word
        ("Hey, Obiageli, it missed the rash.", "Hey, [name], it missed"),
        ("Okay, Tomasz, the bot should say 999.", "Okay, [name], the bot"),
    ],
)
def test_scrubber_keeps_the_interjection_before_an_addressed_name(text: str, kept: str) -> None:
    assert kept in Scrubber().scrub(text).text


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_plain_text_parser_never_crashes(text: str) -> None:
    try:
        t = parse_transcript_text(text, "fuzz.txt")
    except TranscriptError as exc:
        assert str(exc).startswith("fuzz.txt")
        return
    assert t.candidate_turns


_labels = st.sampled_from(["Interviewer:", "Candidate:", "interviewer :", "**Candidate:**", "Candidate", ""])


@settings(max_examples=800, deadline=None)
@given(st.lists(st.tuples(_labels, st.text(max_size=60)), max_size=20))
def test_labelled_blocks_parse_or_explain(blocks: list[tuple[str, str]]) -> None:
    text = "\n".join(f"{label} {body}" for label, body in blocks)
    try:
        parse_transcript_text(text, "blocks.txt")
    except TranscriptError as exc:
        assert "blocks.txt" in str(exc)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(st.sampled_from(["schema_version", "turns", "id", "config", "status", "x"]), _json))
def test_json_parser_never_crashes(data: dict[str, object]) -> None:
    try:
        parse_transcript_text(json.dumps(data), "fuzz.json")
    except TranscriptError as exc:
        assert str(exc).startswith("fuzz.json")


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_bytes_never_crash(raw: bytes) -> None:
    try:
        load_transcript_bytes(raw, "upload.bin")
    except TranscriptError as exc:
        assert str(exc).startswith("upload.bin")


def test_thousands_of_turns_and_empty_answers(tmp_path: Path, library: PromptLibrary) -> None:
    many = "\n".join(f"Interviewer: Q{i}\nCandidate: A{i}" for i in range(MAX_TURNS))
    with pytest.raises(TranscriptError, match="more than"):
        parse_transcript_text(many, "many.txt")
    empty = parse_transcript_text("Interviewer: Q\nCandidate:\nInterviewer: Q2\nCandidate:   \n", "e.txt")
    feedback = OfflineJudge(library).judge(empty)
    assert sum(feedback.scores.values()) == 0


def test_a_bad_file_touches_nothing_saved(tmp_path: Path) -> None:
    good = Transcript()
    from agents.domain.transcript import save_transcript

    path = save_transcript(good, tmp_path)
    before = path.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 2}')
    with pytest.raises(TranscriptError):
        load_transcript(bad)
    assert path.read_bytes() == before


@pytest.mark.parametrize("variant", INJECTIONS)
def test_injection_variants_leave_offline_scores_unchanged(library: PromptLibrary, variant: str) -> None:
    judge = OfflineJudge(library)
    for sample in load_dataset(DEFAULT_DATASET)[::6]:
        base = judge.judge(sample.transcript)
        for where in (0, -1):
            changed = sample.transcript.model_copy(deep=True)
            answers = [t for t in changed.turns if t.role.value == "candidate"]
            answers[where].text = answers[where].text.rstrip() + " " + variant
            after = judge.judge(changed)
            assert after.scores == base.scores, (sample.id, variant)
            assert "injection" in after.flags


@pytest.mark.parametrize("disguise", sorted(TRANSFORMS))
def test_disguised_injections_earn_nothing_and_are_flagged(library: PromptLibrary, disguise: str) -> None:
    judge = OfflineJudge(library)
    samples = load_dataset(DEFAULT_DATASET)[::11]
    bases = {s.id: judge.judge(s.transcript).scores for s in samples}
    unflagged = []
    for pos, line in enumerate(INJECTIONS):
        text = variants(line, seed=pos)[disguise]
        alone = parse_transcript_text(f"Interviewer: Review it.\nCandidate: {text}\n", "alone.txt")
        assert sum(judge.judge(alone).scores.values()) == 0, (disguise, text)
        for sample in samples:
            changed = sample.transcript.model_copy(deep=True)
            answers = [t for t in changed.turns if t.role.value == "candidate"]
            answers[-1].text = answers[-1].text.rstrip() + " " + text
            after = judge.judge(changed)
            assert after.scores == bases[sample.id], (sample.id, disguise, text)
            if "injection" not in after.flags:
                unflagged.append(line)
    # Text in another script earns nothing without being called an attack, and a spaced-out JSON
    # payload has no words to read; everything else is flagged.
    assert all(not line.isascii() or line.startswith("{") for line in unflagged), sorted(set(unflagged))


def test_the_probe_fence_is_not_derived_from_what_users_see(library: PromptLibrary) -> None:
    import random

    from agents.interview.interviewer import Interviewer
    from agents.judging.offline import get_analyzer

    scenario = library.scenarios[0]
    fences = set()
    for _ in range(2):
        interviewer = Interviewer(library, get_analyzer(library), rng=random.Random("visible-transcript-id"))
        prompt = str(interviewer.probe_messages(scenario, "S1", "An answer.", "doctor", "uk")[-1].content)
        fences.add(re.search(r"<<<ANSWER (\S+)", prompt).group(1))  # type: ignore[union-attr]
    assert len(fences) == 2, "the fence can be worked out from the transcript id"


def test_a_found_name_does_not_run_on_into_an_acronym() -> None:
    out = Scrubber().scrub("HCA Tamsin TTO was late, so ask Esi MRN first")
    assert "Tamsin" not in out.text and "TTO" in out.text and "MRN" in out.text, out.text


def test_a_name_after_a_title_ends_at_its_possessive() -> None:
    out = Scrubber().scrub("Mr Hughes's NHS number was pasted, and Dr Patel's clinic is full.")
    assert "Hughes" not in out.text and "Patel" not in out.text
    assert "'s NHS number was pasted" in out.text and "'s clinic is full" in out.text, out.text


def test_a_list_of_people_stops_at_what_is_no_name() -> None:
    out = Scrubber().scrub(
        "Seen by Dr Okafor, Hx of asthma, and Mr Shah, Pt stable; discussed with Dr Okafor and Paeds."
    )
    assert "Okafor" not in out.text and "Shah" not in out.text
    for kept in ("Hx of asthma", "Pt stable", "and Paeds."):
        assert kept in out.text, out.text
