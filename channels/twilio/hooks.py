"""The toolkit of Twilio's voice webhooks: the signature check, one unit of work per request committed
before answering, and TwiML answers. `webhooks` and `callback_hooks` each keep a table of hooks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from channels.twilio.signature import SignatureCheck
from channels.twilio.twiml import TwimlRenderer
from contact_center.core.errors import InvalidInput
from contact_center.core.http.keys import UOW
from contact_center.core.uow import UnitOfWork
from ivr.host import CallTurn
from ivr.line import VOICE_LINE, VoiceLine

Form = dict[str, str]
Hook = Callable[[web.Request, UnitOfWork, VoiceLine, Form], Awaitable[web.Response]]
ENDED = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})  # final call statuses
SIGNATURE = web.AppKey("twilio_signature", SignatureCheck)
RENDERER = web.AppKey("twilio_renderer", TwimlRenderer)


class Hooks:
    """A table of signed POST webhooks under /channels/twilio/."""

    def __init__(self) -> None:
        self.routes = web.RouteTableDef()

    def __call__(self, path: str) -> Callable[[Hook], Hook]:
        """Register a webhook: signature first, then one unit of work committed before answering."""

        def register(hook: Hook) -> Hook:
            async def handler(request: web.Request) -> web.Response:
                form = {key: str(value) for key, value in (await request.post()).items()}
                request.app[SIGNATURE].verify(request, form)
                async with request.app[UOW]() as uow:
                    response = await hook(request, uow, request.app[VOICE_LINE], form)
                    await uow.commit()
                return response

            self.routes.post(f"/channels/twilio/{path}")(handler)
            return hook

        return register


def xml_response(xml: str) -> web.Response:
    return web.Response(text=xml, content_type="application/xml")


def twiml(request: web.Request, turn: CallTurn, *, in_queue: bool = False) -> web.Response:
    """The TwiML of a flow turn; `in_queue` when Twilio runs it inside a queue (a waitUrl document)."""
    xml = request.app[RENDERER].render(turn.actions, turn.step, finished=turn.finished, in_queue=in_queue)
    return xml_response(xml)


def call_sid_of(form: Form) -> str:
    sid = form.get("CallSid", "")
    if not sid:
        raise InvalidInput("Falta CallSid.", code="missing_call_sid")
    return sid
