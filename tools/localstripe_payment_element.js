// The Payment Element and stripe.confirmPayment, as Stripe.js offers them, for localstripe.
//
// tools/localstripe_server.py serves this right after localstripe's own script at /js.stripe.com/v3/,
// both in one function scope (localstripe's Stripe() knows only the Card Element and a
// confirmCardPayment that merely authenticates), so a pay page written for Stripe.js runs unchanged
// against localstripe:
//
//   const stripe = Stripe(publishableKey);
//   const elements = stripe.elements({clientSecret});
//   elements.create("payment").mount("#payment-element");
//   const {error} = await stripe.confirmPayment({elements, confirmParams: {return_url}});
//
// As at Stripe: incomplete card details answer a `validation_error` before anything is sent; the
// PaymentIntent is confirmed with the publishable key and its client secret; a decline answers the
// `card_error` and stays on the page; a card that asks for 3-D Secure opens localstripe's
// authentication dialog; otherwise the browser goes to return_url with payment_intent,
// payment_intent_client_secret and redirect_status added (a card either succeeds at once in
// localstripe or fails). The card fields live in the page rather
// than in Stripe's iframe, each with its label.
(function () {
  const localStripe = Stripe;  // localstripe's, defined by its script just above
  let fieldIds = 0;

  const CARD_FIELDS = [
    {name: "number", label: "Card number", autocomplete: "cc-number", placeholder: "1234 1234 1234 1234"},
    {name: "expiry", label: "Expiration date (MM / YY)", autocomplete: "cc-exp", placeholder: "MM / YY"},
    {name: "cvc", label: "Security code", autocomplete: "cc-csc", placeholder: "CVC"},
  ];

  function digits(text) {
    return (text || "").replace(/\D/g, "");
  }

  class PaymentElement {
    constructor() {
      this._inputs = null;
      this._listeners = {};
    }

    mount(target) {
      const container = typeof target === "string" ? document.querySelector(target) : target;
      if (!(container instanceof window.Element)) {
        throw new Error("Invalid DOM element. Make sure to call mount() with a valid DOM element or selector.");
      }
      this._inputs = {};
      this._root = document.createElement("div");
      this._root.className = "localstripe-payment-element";
      for (const field of CARD_FIELDS) {
        const id = `localstripe-card-${field.name}-${++fieldIds}`;
        const wrapper = document.createElement("div");
        wrapper.className = "mb-2";
        const label = document.createElement("label");
        label.htmlFor = id;
        label.className = "form-label";
        label.textContent = field.label;
        const input = document.createElement("input");
        Object.assign(input, {id, type: "text", inputMode: "numeric", className: "form-control"});
        input.autocomplete = field.autocomplete;
        input.placeholder = field.placeholder;
        wrapper.append(label, input);
        this._root.append(wrapper);
        this._inputs[field.name] = input;
      }
      container.append(this._root);
      setTimeout(() => this._emit("ready", {elementType: "payment"}));
    }

    on(event, handler) {
      (this._listeners[event] = this._listeners[event] || []).push(handler);
      return this;
    }

    _emit(event, payload) {
      for (const handler of this._listeners[event] || []) handler(payload);
    }

    // Stripe.js's own words for what is missing, or null when the card can be sent.
    _problem() {
      if (!this._inputs) return "The Payment Element is not mounted.";
      const number = digits(this._inputs.number.value);
      const expiry = digits(this._inputs.expiry.value);
      const cvc = digits(this._inputs.cvc.value);
      if (number.length !== 16) return "Your card number is incomplete.";
      if (expiry.length !== 4) return "Your card's expiration date is incomplete.";
      const month = Number(expiry.slice(0, 2));
      const year = 2000 + Number(expiry.slice(2));
      const now = new Date();
      if (month < 1 || month > 12) return "Your card's expiration date is invalid.";
      if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
        return "Your card's expiration year is in the past.";
      }
      if (cvc.length !== 3) return "Your card's security code is incomplete.";
      return null;
    }

    _card() {
      const expiry = digits(this._inputs.expiry.value);
      return {
        number: digits(this._inputs.number.value),
        exp_month: Number(expiry.slice(0, 2)),
        exp_year: 2000 + Number(expiry.slice(2)),
        cvc: digits(this._inputs.cvc.value),
      };
    }
  }

  async function post(path, body) {
    try {
      const response = await fetch(`${LOCALSTRIPE_BASE_API}${path}`, {method: "POST", body: JSON.stringify(body)});
      const answer = await response.json().catch(() => ({}));
      if (!response.ok || answer.error) {
        return {error: answer.error || {type: "api_error", message: `localstripe answered ${response.status}.`}};
      }
      return {paymentIntent: answer};
    } catch (failure) {
      return {error: {type: "api_connection_error", message: String(failure)}};
    }
  }

  function returnAddress(returnUrl, paymentIntent, clientSecret) {
    const address = new URL(returnUrl, window.location.href);
    address.searchParams.set("payment_intent", paymentIntent.id);
    address.searchParams.set("payment_intent_client_secret", clientSecret);
    address.searchParams.set("redirect_status", paymentIntent.status === "succeeded" ? "succeeded" : "failed");
    return address.toString();
  }

  Stripe = function (apiKey, options) {
    const stripe = localStripe(apiKey, options);
    const cardElements = stripe.elements;

    stripe.elements = function (elementsOptions = {}) {
      const elements = cardElements();
      const createCard = elements.create;
      elements._clientSecret = elementsOptions.clientSecret;
      elements._paymentElement = null;
      elements.create = function (type, elementOptions) {
        if (type !== "payment") return createCard.call(this, type, elementOptions);
        if (this._paymentElement) throw new Error("Can only create one Element of type payment.");
        this._paymentElement = new PaymentElement();
        return this._paymentElement;
      };
      return elements;
    };

    stripe.confirmPayment = async function ({elements, confirmParams = {}}) {
      const element = elements && elements._paymentElement;
      if (!element) return {error: {type: "integration_error", message: "Create and mount a Payment Element first."}};
      const problem = element._problem();
      if (problem) return {error: {type: "validation_error", message: problem}};
      const secret = elements._clientSecret;
      const id = secret.match(/^(pi_\w+)_secret_/)[1];
      const returnUrl = confirmParams.return_url;
      let answer = await post(`/v1/payment_intents/${id}/confirm`, {
        key: apiKey,
        client_secret: secret,
        return_url: returnUrl,
        payment_method_data: {type: "card", card: element._card()},
      });
      if (answer.error) return answer;
      if (answer.paymentIntent.status === "requires_action") {
        const passed = await openModal("3D Secure\nDo you want to confirm or cancel?", "Complete authentication", "Fail authentication");
        answer = await post(`/v1/payment_intents/${id}/_authenticate?success=${passed}`, {key: apiKey, client_secret: secret});
        if (answer.error) return answer;
        if (answer.paymentIntent.status === "requires_payment_method") {
          const failure = answer.paymentIntent.last_payment_error || {};
          return {error: {type: "invalid_request_error", code: failure.code, message: failure.message, payment_intent: answer.paymentIntent}};
        }
      }
      window.location.assign(returnAddress(returnUrl, answer.paymentIntent, secret));
      return new Promise(() => {});  // the page is leaving, as with Stripe.js
    };

    return stripe;
  };
})();
