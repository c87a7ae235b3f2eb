/* Access and erasure requests: every request of a contact, found by the API through a keyed
   hash of the contact in any spelling. Each action waits for a confirmation. */
(() => {
  "use strict";

  const inbox = window.AdminInbox;
  if (!inbox) return;
  const { text } = inbox;
  const QUESTIONS = {
    access: "admin.contacts.access_question",
    erase: "admin.contacts.erase_question",
  };

  const $ = (id) => document.getElementById(id);
  const form = $("contact-form");
  const input = $("contact");
  const error = $("contact-error");

  function contact() {
    return input.value.normalize("NFC").trim();
  }

  function refuse() {
    error.textContent = text("admin.signin.required");
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", "contact-hint contact-error");
    input.focus();
  }

  function clearRefusal() {
    error.hidden = true;
    input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", "contact-hint");
  }

  function closeAll() {
    for (const name of Object.keys(QUESTIONS)) $(`${name}-confirm`).hidden = true;
  }

  function ask(name) {
    if (!contact()) return refuse();
    clearRefusal();
    closeAll();
    $(`${name}-question`).textContent = text(QUESTIONS[name], { contact: contact() });
    $(`${name}-confirm`).hidden = false;
    $(`${name}-question`).focus();
  }

  function cancel(name) {
    $(`${name}-confirm`).hidden = true;
    form.querySelector(`[data-action="${name}"]`).focus();
  }

  function today() {
    return new Date().toISOString().slice(0, 10);
  }

  async function access() {
    const found = await inbox.api("/contacts/access", {
      method: "POST",
      body: { contact: contact() },
    });
    const file = new Blob([`${JSON.stringify(found, null, 2)}\n`], { type: "application/json" });
    inbox.download(file, `access-request-${today()}.json`);
    return text("admin.contacts.accessed", { count: found.requests.length });
  }

  async function erase() {
    const done = await inbox.api("/contacts/erase", {
      method: "POST",
      body: { contact: contact(), confirm: true },
    });
    input.value = "";
    return text("admin.contacts.erased", { count: done.erased });
  }

  const ACTIONS = { access, erase };

  async function confirm(name, button) {
    await inbox.busy(button, async () => {
      const message = await ACTIONS[name]();
      $(`${name}-confirm`).hidden = true;
      inbox.say(message);
      input.focus();
    });
  }

  function start() {
    // Enter in the field chooses nothing: each action has its own button and confirmation.
    form.addEventListener("submit", (event) => event.preventDefault());
    input.addEventListener("input", () => {
      clearRefusal();
      closeAll();
    });
    for (const button of form.querySelectorAll("[data-action]")) {
      button.addEventListener("click", () => ask(button.dataset.action));
    }
    for (const button of form.querySelectorAll("[data-confirm]")) {
      button.addEventListener("click", () => confirm(button.dataset.confirm, button));
    }
    for (const button of form.querySelectorAll("[data-cancel]")) {
      button.addEventListener("click", () => cancel(button.dataset.cancel));
    }
  }

  inbox.view(start);
})();
