"""Pre-generated recordings of every fixed spoken text, in both languages and at both speeds.

`catalogue` says what the content needs and which recordings are current (read once at
start-up); `engines` and `encode` make recordings; `build` is `ivr build-audio`; `views` serves
them at /audio.
"""

# The engines that make recordings, as `--engine` and IVR_AUDIO_ENGINES name them.
ENGINES = ("gtts", "piper", "espeak")
