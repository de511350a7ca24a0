"""The phone line: the call's state machine and the webhooks that render it as TwiML."""
