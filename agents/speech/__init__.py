"""Speech in and out: the speech-to-text seam (local Whisper, a hosted OpenAI-compatible endpoint, a
fake), the voice that reads questions aloud, live transcription while the candidate speaks, and the
audio measurements behind the delivery report."""
