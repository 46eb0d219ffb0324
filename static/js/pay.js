// The pay page: Stripe's Payment Element, confirmed with stripe.confirmPayment. Opening the page
// changes nothing; this script asks the server to start (or resume) the payment with a POST and
// mounts the element with the client secret it answers. Whether the money arrived is never decided
// here: the return page asks Stripe from the server.
(function () {
  const form = document.getElementById("payment-form");
  if (!form) return;
  const button = form.querySelector("button[type=submit]");
  const message = document.getElementById("payment-message");
  const say = (text) => {
    message.textContent = text;
    message.hidden = false;
  };
  if (typeof Stripe !== "function") {
    say("The card form could not load. Check your connection and reload this page.");
    return;
  }
  const stripe = Stripe(form.dataset.publishableKey);

  async function start() {
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        headers: {
          "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
          Accept: "application/json",
        },
        credentials: "same-origin",
      });
    } catch (error) {
      say("Payments are unavailable right now; check your connection and reload this page.");
      return null;
    }
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      say(answer.message || "Payments are unavailable right now; please reload this page in a minute.");
      return null;
    }
    return answer;
  }

  start().then((payment) => {
    if (!payment) return;
    const elements = stripe.elements({clientSecret: payment.client_secret});
    const paymentElement = elements.create("payment");
    paymentElement.on("ready", () => {
      button.disabled = false;
    });
    paymentElement.mount("#payment-element");

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      message.hidden = true;
      const {error} = await stripe.confirmPayment({
        elements,
        confirmParams: {return_url: payment.return_url},
      });
      // Stripe leaves for the return page once the card is taken; only a refusal comes back here.
      if (error.type === "validation_error") {
        say(error.message);
        button.disabled = false;
        return;
      }
      // A decline, or anything else Stripe refused: the return page reads the payment from Stripe,
      // shows its message and offers another try.
      window.location.assign(payment.return_url);
    });
  });
})();
