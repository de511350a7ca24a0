"""Pre-generated recordings of every fixed spoken text, in both languages and at both speeds.

`catalogue` says what the content needs and which recordings are current (read once at
start-up); `engines` and `encode` make recordings (`engine_names` names the engines, for settings
too); `build` is `ivr build-audio`; `views` serves them at /audio.
"""
