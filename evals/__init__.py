"""Offline eval suites: the judge against labelled transcripts, the interviewer against personas."""
