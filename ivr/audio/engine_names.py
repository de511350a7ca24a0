"""The text-to-speech engines by name, apart from `engines` so settings read them without gTTS."""

# Best sound first: an automatic build ranks recordings in this order (`engines.RANKS`).
ENGINES = ("gtts", "piper", "espeak")
