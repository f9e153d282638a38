"""The Web API methods the stand-in answers, one module per method family. Each handler takes the
`FakeSlack` and the recorded `Call` and returns an `Answer`; `FakeSlack.methods` maps each method
name onto its handler bound to the fake, and whatever builds on the stand-in may replace or wrap one
there (`FakeSlack.handler`)."""

from fakeslack.methods import chat, conversations, files, oauth, users, views

FAMILIES = (chat, conversations, views, users, files, oauth)

__all__ = ["FAMILIES"]
