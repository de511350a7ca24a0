"""Phone numbers as the line checks them: E.164, the form Twilio sends them in and takes."""

import re

# A plus, then a country code (never starting with 0) and the number: 7 to 15 digits in all.
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
