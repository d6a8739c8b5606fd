"""Twilio Programmable Voice adapter for the 195 line: signed webhooks in, TwiML out.

`webhooks.install(app)` adds the routes under `/channels/twilio/`; `signature` checks every
request's `X-Twilio-Signature`; `twiml` renders the IVR's actions with twilio's `VoiceResponse`.
"""
