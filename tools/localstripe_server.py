"""localstripe, with the two Stripe behaviours AMO's payments depend on.

`tools/devstack.py` starts this instead of the bare `localstripe` command:

    python tools/localstripe_server.py --port 8420 [--store .data/localstripe.pickle]

It serves localstripe's own aiohttp routes and middlewares (imported, not copied) and adds:

1. Idempotent requests, as Stripe does (https://docs.stripe.com/api/idempotent_requests): a POST
   carrying an `Idempotency-Key` header is answered once; the same key again (same secret key,
   within 24 hours) replays the first status and body with `Idempotent-Replayed: true`. The same
   key with other parameters, or on another method or path, is a 400 `idempotency_error`; while the
   first request is still running, a second one with its key is a 409. As at Stripe, a request
   refused before it ran (400, 401, 404, 409) saves nothing, so it can be retried with its key.
   Replays are kept in memory: a restart of this server forgets them.

2. PaymentIntents that save a card and charge it later:
   - `setup_future_usage` (`on_session` | `off_session`) is accepted on create and confirm, shown
     on the object, and when the payment succeeds its card is attached to the PaymentIntent's
     customer (the "save the card with the deposit" flow);
   - `off_session=true` with `confirm=true` (on create or confirm) charges without the customer:
     a card that always asks for authentication (4000002760003184, 4000000000003220, ...) fails
     as Stripe fails it: HTTP 402 `card_error`, code and decline_code `authentication_required`,
     the PaymentIntent back in `requires_payment_method` with `last_payment_error` set. The card
     4000002500003155 asks only the first time: once saved to the customer it charges off-session.
     On-session, both still go to `requires_action` as in localstripe;
   - confirm accepts `payment_method` (localstripe answers 500 "Not implemented"), test ids such
     as `pm_card_visa` become a real saved PaymentMethod as at Stripe, and a decline is a 402
     `card_error` carrying the PaymentIntent (localstripe's is an `invalid_request_error`).

3. Stripe.js's Payment Element. localstripe's script at /js.stripe.com/v3/ offers only the Card
   Element, and its confirmCardPayment only authenticates an intent already confirmed; this server
   serves that script followed by `localstripe_payment_element.js` (the Payment Element's card fields
   and stripe.confirmPayment, as Stripe.js names them), and lets the browser confirm a PaymentIntent
   as Stripe.js does: with the publishable key and the intent's client secret, the card given as
   `payment_method_data`. A client secret that is not the intent's is a 401, as at Stripe.

4. A slow Stripe, on demand, for tests of what a slow answer does: `POST /_config/slow` with JSON
   `{"path_contains": "pi_123", "seconds": 2.5}` makes every request whose path contains that text
   answer after that delay (other requests are not slowed; `"seconds": 0` ends it), and
   `GET /_config/slow` answers `{"in_flight": n}`, how many slowed requests are waiting now.

Persistence: localstripe pickles its whole store to /tmp/localstripe.pickle on every write, one
file for every checkout on the machine. With `--store` the store is kept in that file instead (the
devstack passes `.data/localstripe.pickle`), written at most once a second and on shutdown.

How it extends localstripe: PaymentIntent is subclassed, and the app is rebuilt from localstripe's
middlewares and routes with the PaymentIntent create and confirm routes pointing at the subclass
(localstripe binds its routes to its classes at import, so a route has to be replaced, not its
class patched). The one monkeypatch is the store's two disk methods (see `_persist_to`): the path
is hard-coded in localstripe and the store is a module-level instance every resource uses.

A launcher beside the project, like devstack.py: the project never imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import os
import pickle
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from localstripe import server as ls_server
from localstripe.errors import UserError
from localstripe.resources import (
    Customer,
    Event,
    PaymentIntent,
    PaymentMethod,
    store,
    try_convert_to_bool,
)
from localstripe.webhooks import schedule_webhook

IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60
# Stripe's test cards that ask for authentication only until the card is set up for later use.
AUTHENTICATES_ONCE = {"4000002500003155"}
SETUP_FUTURE_USAGES = ("on_session", "off_session")


class CardError(UserError):
    """A Stripe `card_error` (HTTP 402): what the stripe package raises as stripe.CardError."""

    def __init__(self, message: str, contents: dict) -> None:
        super().__init__(402, message, contents)
        self.body["error"]["type"] = "card_error"


# --- Idempotent requests ----------------------------------------------------------------------


@dataclass
class _Saved:
    method: str
    path: str
    params_digest: str
    saved_at: float
    status: int | None = None  # None while the first request is still running
    body: bytes = b""
    content_type: str = "application/json"


_saved: dict[tuple[str, str], _Saved] = {}


def _idempotency_error(status: int, message: str, code: str | None = None) -> web.Response:
    error = {"type": "idempotency_error", "message": message}
    if code:
        error = {"type": "invalid_request_error", "code": code, "message": message}
    return ls_server.json_response({"error": error}, status=status)


def _forget_expired(now: float) -> None:
    for scope, saved in list(_saved.items()):
        if saved.status is not None and now - saved.saved_at > IDEMPOTENCY_TTL_SECONDS:
            del _saved[scope]


def _saves_result(status: int) -> bool:
    """Stripe saves a result once the endpoint ran: success, a card error, a server error."""
    return status < 400 or status == 402 or status >= 500


@web.middleware
async def idempotency_middleware(request: web.Request, handler):
    key = request.headers.get("Idempotency-Key")
    if request.method != "POST" or not key:
        return await handler(request)
    params = await ls_server.get_post_data(request, remove_auth=False) or {}
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()
    now = time.time()
    _forget_expired(now)
    scope = (ls_server.get_api_key(request) or "", key)
    saved = _saved.get(scope)
    if saved is not None:
        if (saved.method, saved.path, saved.params_digest) != (request.method, request.path, digest):
            return _idempotency_error(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                f"first used with. Try using a key other than '{key}' if you meant to execute a "
                "different request.",
            )
        if saved.status is None:
            return _idempotency_error(
                409,
                "There is currently another in-progress request using this Idempotent Key (that "
                "probably means you submitted twice, and the other request is still going "
                f"through): {key}. Please try again later.",
                code="idempotency_key_in_use",
            )
        replay = web.Response(body=saved.body, status=saved.status, content_type=saved.content_type)
        replay.headers["Idempotent-Replayed"] = "true"
        replay.headers["Idempotency-Key"] = key
        return replay

    saved = _saved[scope] = _Saved(request.method, request.path, digest, now)
    try:
        response = await handler(request)
    except BaseException:
        del _saved[scope]
        raise
    if isinstance(response, web.Response) and _saves_result(response.status):
        saved.status, saved.body = response.status, response.body or b""
        saved.content_type = response.content_type
        saved.saved_at = time.time()
    else:
        del _saved[scope]
    response.headers["Idempotency-Key"] = key
    return response


# --- PaymentIntents that save a card and charge it off-session ---------------------------------


def _real_payment_method_id(payment_method):
    """`pm_card_visa` and the other test ids become a stored PaymentMethod, as at Stripe."""
    if isinstance(payment_method, str) and payment_method.startswith("pm_"):
        return PaymentMethod._api_retrieve(payment_method).id
    return payment_method


def _checked_setup_future_usage(value):
    if value == "":  # the API's way to say "none"
        return None
    if value is not None and value not in SETUP_FUTURE_USAGES:
        raise UserError(400, "Invalid setup_future_usage: must be one of on_session, off_session")
    return value


def _checked_off_session(value, confirm):
    value = try_convert_to_bool(value)
    if value is None:
        return False
    if type(value) is not bool and value not in ("one_off", "recurring"):
        raise UserError(400, "Invalid off_session: must be a boolean, one_off or recurring")
    if not confirm:
        raise UserError(400, "off_session can only be used with confirm=true")
    return bool(value)


class SavingPaymentIntent(PaymentIntent):
    """localstripe's PaymentIntent, plus setup_future_usage, off-session confirms, and confirms from
    Stripe.js (a client secret and the card as payment_method_data)."""

    def __init__(
        self, setup_future_usage=None, description=None, receipt_email=None, payment_method=None, **data
    ):
        setup_future_usage = _checked_setup_future_usage(setup_future_usage)
        super().__init__(payment_method=_real_payment_method_id(payment_method), **data)
        self.setup_future_usage = setup_future_usage
        self.description = description
        self.receipt_email = receipt_email
        self._off_session = False
        self._payment_error = None

    @classmethod
    def _api_create(cls, confirm=None, off_session=None, return_url=None, **data):
        confirm = try_convert_to_bool(confirm)
        if confirm is not None and type(confirm) is not bool:
            raise UserError(400, "Invalid confirm: must be a boolean")
        off_session = _checked_off_session(off_session, confirm)
        obj = cls(**data)
        if confirm:
            obj._off_session = off_session
            obj._confirm(on_failure_now=obj._report_failure)
        return obj

    @classmethod
    def _api_confirm(
        cls,
        id,
        payment_method=None,
        off_session=None,
        setup_future_usage=None,
        return_url=None,
        client_secret=None,
        payment_method_data=None,
        **kwargs,
    ):
        if kwargs:
            raise UserError(400, "Unexpected " + ", ".join(kwargs.keys()))
        off_session = _checked_off_session(off_session, confirm=True)
        setup_future_usage = _checked_setup_future_usage(setup_future_usage)
        if payment_method_data is not None and type(payment_method_data) is not dict:
            raise UserError(400, "Invalid payment_method_data: must be a hash")
        if payment_method_data is not None and payment_method is not None:
            raise UserError(400, "Pass either payment_method or payment_method_data, not both")
        obj = cls._api_retrieve(id)
        if client_secret is not None and client_secret != obj.client_secret:
            raise UserError(401, "Unauthorized")
        if not isinstance(obj, SavingPaymentIntent):  # made by localstripe itself (invoices)
            return PaymentIntent._api_confirm(id, payment_method=payment_method)
        if obj.status not in ("requires_confirmation", "requires_payment_method"):
            raise UserError(400, f"You cannot confirm this PaymentIntent because it has status {obj.status}.")
        if payment_method_data is not None:
            obj.payment_method = PaymentMethod(**payment_method_data).id
        elif payment_method is not None:
            obj.payment_method = _real_payment_method_id(payment_method)
        if not obj.payment_method:
            raise UserError(400, "You cannot confirm this PaymentIntent because it has no payment method.")
        obj.latest_charge = None  # a new attempt; a failed one stays in the charges list
        obj._payment_error = None
        if setup_future_usage is not None:
            obj.setup_future_usage = setup_future_usage
        obj._off_session = off_session
        obj._confirm(on_failure_now=obj._report_failure)
        return obj

    def _confirm(self, on_failure_now):
        payment_method = PaymentMethod._api_retrieve(self.payment_method)
        if self._off_session and payment_method._requires_authentication():
            if self._set_up_for_later(payment_method):
                self._authentication_failed = False
                self._create_charge(on_failure_now=on_failure_now)
            else:
                self._fail_authentication_required(payment_method)
            return
        super()._confirm(on_failure_now)

    def _set_up_for_later(self, payment_method) -> bool:
        number = getattr(payment_method, "_card_number", None)
        return (
            number in AUTHENTICATES_ONCE and bool(self.customer) and payment_method.customer == self.customer
        )

    def _fail_authentication_required(self, payment_method) -> None:
        """The bank asks for authentication the absent customer cannot give: Stripe declines."""
        message = "Your card was declined. This transaction requires authentication."
        self._payment_error = {
            "code": "authentication_required",
            "decline_code": "authentication_required",
            "message": message,
            "payment_method": payment_method._export(),
            "type": "card_error",
        }
        self.payment_method = None
        schedule_webhook(Event("payment_intent.payment_failed", self))
        raise CardError(message, {**self._payment_error, "payment_intent": self._export()})

    @property
    def last_payment_error(self):
        return self._payment_error or super().last_payment_error

    def _on_success(self):
        if self.setup_future_usage and self.customer:
            payment_method = PaymentMethod._api_retrieve(self.payment_method)
            if payment_method.customer is None:
                Customer._api_retrieve(self.customer)
                payment_method.customer = self.customer
        super()._on_success()

    def _report_failure(self):
        schedule_webhook(Event("payment_intent.payment_failed", self))
        charge = self.latest_charge
        raise CardError(
            charge.failure_message,
            {
                "code": charge.failure_code,
                "decline_code": "generic_decline",
                "charge": charge.id,
                "payment_intent": self._export(),
            },
        )


# --- A slow Stripe, on demand -----------------------------------------------------------------

SLOW_PATH = "/_config/slow"
_slow: dict[str, float] = {}  # text a request's path contains -> seconds its answer waits
_slow_in_flight = 0


async def slow_settings(request: web.Request) -> web.Response:
    """POST sets (or with 0 seconds ends) the delay of the paths containing `path_contains`; GET
    says how many slowed requests are waiting now."""
    if request.method == "POST":
        data = await request.json()
        contains, seconds = data.get("path_contains"), data.get("seconds")
        if not isinstance(contains, str) or not contains or not isinstance(seconds, int | float):
            error = {"error": "Give path_contains (text) and seconds (a number)."}
            return web.json_response(error, status=400)
        if seconds > 0:
            _slow[contains] = float(seconds)
        else:
            _slow.pop(contains, None)
    return web.json_response({"in_flight": _slow_in_flight, "slow": _slow})


@web.middleware
async def slow_middleware(request: web.Request, handler):
    global _slow_in_flight
    delay = max((seconds for text, seconds in _slow.items() if text in request.path), default=0)
    if delay:
        _slow_in_flight += 1
        try:
            await asyncio.sleep(delay)
        finally:
            _slow_in_flight -= 1
    return await handler(request)


# --- Stripe.js: the Payment Element, and confirming with the publishable key -------------------

PAYMENT_ELEMENT_JS = Path(__file__).with_name("localstripe_payment_element.js")
CONFIRM_PATH = re.compile(r"^/v1/payment_intents/(pi_\w+)/confirm$")


async def stripe_js(request: web.Request) -> web.Response:
    """localstripe's own stripe.js, then the Payment Element and stripe.confirmPayment, in one
    function scope: localstripe declares a top-level `class Element`, which would otherwise hide
    the DOM's window.Element from every other script of the page (Bootstrap's among them). Only
    `Stripe` is global, as with Stripe.js."""
    own = Path(ls_server.__file__).with_name("localstripe-v3.js").read_text()
    return web.Response(
        text=f"(function () {{\n{own}\n{PAYMENT_ELEMENT_JS.read_text()}\n}})();\n",
        content_type="application/javascript",
    )


async def _confirmed_by_stripe_js(request: web.Request) -> bool:
    """Whether this is Stripe.js confirming a PaymentIntent: a POST to its confirm path with a
    publishable key and the intent's client secret (localstripe asks for the secret key there)."""
    match = CONFIRM_PATH.match(request.path)
    if request.method != "POST" or match is None or ls_server.get_api_key(request):
        return False
    data = await ls_server.get_post_data(request, remove_auth=False) or {}
    key, secret = data.get("key"), data.get("client_secret")
    if not (isinstance(key, str) and key.startswith("pk_") and isinstance(secret, str)):
        return False
    try:
        return PaymentIntent._api_retrieve(match.group(1)).client_secret == secret
    except UserError:
        return False


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """localstripe's authentication, which also lets Stripe.js confirm with the client secret."""
    if await _confirmed_by_stripe_js(request):
        return await handler(request)
    return await ls_server.auth_middleware(request, handler)


# --- The app -----------------------------------------------------------------------------------

OVERRIDES = {
    ("GET", SLOW_PATH): slow_settings,
    ("POST", SLOW_PATH): slow_settings,
    ("GET", "/js.stripe.com/v3/"): stripe_js,
    ("POST", "/v1/payment_intents"): ls_server.api_create(SavingPaymentIntent, "/v1/payment_intents"),
    ("POST", "/v1/payment_intents/{id}/confirm"): ls_server.api_extra(
        SavingPaymentIntent._api_confirm, "/v1/payment_intents/{id}/confirm"
    ),
}


def build_app() -> web.Application:
    """localstripe's app, rebuilt with the slow knob and idempotency first and our PaymentIntent routes."""
    app = web.Application(
        middlewares=[
            slow_middleware,
            idempotency_middleware,
            ls_server.error_middleware,
            auth_middleware,
            ls_server.save_store_middleware,
        ]
    )
    app.on_response_prepare.append(ls_server.add_cors_headers)
    for (method, path), handler in OVERRIDES.items():
        app.router.add_route(method, path, handler)
    for route in ls_server.app.router.routes():
        method, path = route.method, route.resource.canonical
        if (method, path) not in OVERRIDES:
            app.router.add_route(method, path, route.handler)
    return app


def _persist_to(path: Path | None, app: web.Application) -> None:
    """Keep the store in `path` (None: in memory only), written at most once a second, instead of
    /tmp/localstripe.pickle, shared by every checkout, on every write.

    The one monkeypatch: localstripe hard-codes that path in the methods of `store`, the
    module-level instance every resource writes to, and pickles the whole store on each item set.
    """
    store.try_load_from_disk = lambda: None
    if path is None:
        store.dump_to_disk = lambda: None
        return
    dirty = False

    def mark_dirty() -> None:
        nonlocal dirty
        dirty = True

    def write() -> None:
        nonlocal dirty
        if not dirty:
            return
        temporary = path.with_suffix(".tmp")
        with open(temporary, "wb") as file:
            pickle.dump(dict(store), file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        dirty = False

    async def write_every_second(app: web.Application):
        async def loop():
            while True:
                await asyncio.sleep(1)
                write()

        task = asyncio.ensure_future(loop())
        yield
        task.cancel()
        write()

    try:
        with open(path, "rb") as file:
            store.update(pickle.load(file))
    except FileNotFoundError:
        pass
    except Exception as error:  # a store from another localstripe version: start empty
        print(f"localstripe: ignoring unreadable {path}: {error!r}", flush=True)
    store.dump_to_disk = mark_dirty
    app.cleanup_ctx.append(write_every_second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--store", type=Path, help="keep the store in this file (default: in memory)")
    args = parser.parse_args()
    app = build_app()
    _persist_to(args.store, app)
    # Requests and webhook deliveries to the log, as the `localstripe` command does.
    access = logging.getLogger("aiohttp.access")
    access.setLevel(logging.DEBUG)
    access.addHandler(logging.StreamHandler(sys.stdout))
    web.run_app(
        app, host=args.host, port=args.port, access_log=access, print=lambda *a: print(*a, flush=True)
    )


if __name__ == "__main__":
    main()
