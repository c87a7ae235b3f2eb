/* The site's forms, the help request and the helper's offer: inline validation, a draft kept
   on this device, and sending that survives a bad connection. A form describes itself in its
   markup: its fields' limits and choices are the API's contract; `data-draft` names its draft. */
(() => {
  "use strict";

  if (!window.fetch) return;

  const TRANSIENT = new Set([429, 500, 502, 503, 504]);
  const REQUEST_TIMEOUT_MS = 15000;
  const MAX_BACKOFF_MS = 30000;
  const MAX_RETRY_AFTER_MS = 600000;
  // A rate limit lasts up to an hour or more: say so rather than keep the form locked meanwhile.
  const LONGEST_RATE_LIMIT_WAIT_MS = 60000;
  const DRAFT_DAYS = 30;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const WORD = /^[a-z_]+$/;

  for (const form of document.querySelectorAll("form[data-draft]")) setUp(form);

  function setUp(form) {
    // `ask-form` has `ask-messages` and `ask-status`; `offer-form` has `offer-...`.
    const prefix = form.id.replace(/-form$/, "");
    const DRAFT_KEY = form.dataset.draft;
    const catalogue = document.getElementById(`${prefix}-messages`);
    const summary = document.getElementById("error-summary");
    const statusBox = document.getElementById(`${prefix}-status`);
    const language = form.elements.namedItem("language").value;
    const thanksUrl = form.dataset.thanks;
    // The fields a person fills in, in the page's order: each has a place for its error.
    const CHECKED_FIELDS = Array.from(form.querySelectorAll(".field-error"), (box) =>
      box.id.replace(/-error$/, ""),
    );

    const loadedAt = Date.now();
    let draft = readDraft() || { fields: {} };
    let busy = false;
    let pressingSubmit = false;

    // Text measured in code points, as the API counts it.
    const length = (text) => Array.from(text).length;
    const field = (name) => form.elements.namedItem(name);
    const errorBox = (name) => document.getElementById(`${name}-error`);
    // Several boxes to tick under one name, in a fieldset that says whether one is required.
    const group = (name) => form.querySelector(`fieldset[data-field="${name}"]`);
    const boxes = (name) => Array.from(group(name).querySelectorAll(`input[name="${name}"]`));
    const controls = (name) => (group(name) ? boxes(name) : [field(name)]);
    const first = (name) => controls(name)[0];

    function text(selector) {
      const node = catalogue && catalogue.content.querySelector(selector);
      return node ? node.textContent.trim() : "";
    }

    function message(name, code) {
      if (!WORD.test(name) || !WORD.test(code)) return text('[data-code="fallback"]');
      return (
        text(`[data-field="${name}"][data-code="${code}"]`) ||
        text(`[data-code="${code}"]:not([data-field])`) ||
        text('[data-code="fallback"]') ||
        code
      );
    }

    // The API's own patterns, from the form's contract, which the page carries in an attribute:
    // the page never refuses what the API accepts.
    function matches(element, value) {
      const patterns = JSON.parse(element.dataset.patterns || "[]").map((p) => new RegExp(p));
      return patterns.length === 0 || patterns.some((pattern) => pattern.test(value));
    }

    function wholeInRange(element, value) {
      const number = Number(value);
      const inRange = number >= Number(element.min) && number <= Number(element.max);
      return /^[0-9]+$/.test(value) && inRange;
    }

    // The limits are the form's contract, which the page carries in its attributes.
    function check(name) {
      const value = valueOf(name);
      if (group(name)) {
        return value.length === 0 && "required" in group(name).dataset ? "required" : null;
      }
      const element = field(name);
      if (element.type === "checkbox") return value ? null : "must_accept";
      if (element.validity && element.validity.badInput) return "invalid";
      if (!value) return element.required ? "required" : null;
      if (element.tagName === "SELECT") {
        const allowed = Array.from(element.options, (option) => option.value);
        return allowed.includes(value) ? null : "invalid_choice";
      }
      if (element.type === "number") return wholeInRange(element, value) ? null : "invalid";
      if (element.maxLength >= 0 && length(value) > element.maxLength) return "too_long";
      if (element.minLength > 0 && length(value) < element.minLength) return "too_short";
      return matches(element, value) ? null : "invalid";
    }

    function valueOf(name) {
      if (group(name)) return boxes(name).filter((box) => box.checked).map((box) => box.value);
      const element = field(name);
      return element.type === "checkbox" ? element.checked : element.value.normalize("NFC").trim();
    }

    // What the API takes: a number as a number, the rest as it is.
    function sent(name) {
      const value = valueOf(name);
      return field(name) && field(name).type === "number" ? Number(value) : value;
    }

    function describe(element, id) {
      const ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      if (!ids.includes(id)) element.setAttribute("aria-describedby", ids.concat(id).join(" "));
    }

    function showError(name, code) {
      const box = errorBox(name);
      if (!field(name) || !box) return;
      box.textContent = code ? message(name, code) : "";
      box.hidden = !code;
      // A group's error is inside its fieldset, which describes the group already.
      if (code && !group(name)) describe(field(name), box.id);
      for (const element of controls(name)) {
        if (code) element.setAttribute("aria-invalid", "true");
        else element.removeAttribute("aria-invalid");
      }
    }

    // Errors of fields a person can change link to the field; the rest are plain items.
    function summaryItem({ field: name, code }) {
      const item = document.createElement("li");
      const target = errorBox(name) && field(name) && first(name);
      const holder = target ? item.appendChild(document.createElement("a")) : item;
      if (target) {
        holder.href = `#${target.id}`;
        holder.dataset.field = name;
      }
      holder.textContent = message(name, code);
      return item;
    }

    function showSummary(errors) {
      if (!summary) return;
      let list = summary.querySelector("ul");
      if (!list) list = summary.appendChild(document.createElement("ul"));
      list.replaceChildren(...errors.map(summaryItem));
      summary.hidden = false;
      summary.setAttribute("tabindex", "-1");
      summary.focus();
    }

    function hideSummary() {
      if (summary) summary.hidden = true;
    }

    function showErrors(errors) {
      const known = errors.filter(({ field: name }) => errorBox(name) && field(name));
      for (const name of CHECKED_FIELDS) {
        const found = known.find((error) => error.field === name);
        showError(name, found ? found.code : null);
      }
      showSummary(errors);
    }

    function setStatus(key) {
      if (!statusBox) return;
      statusBox.textContent = key ? text(`[data-status="${key}"]`) : "";
      statusBox.dataset.state = key || "";
    }

    function readDraft() {
      let stored = null;
      try {
        stored = JSON.parse(localStorage.getItem(DRAFT_KEY) || "null");
      } catch {
        return null;
      }
      if (!stored || typeof stored !== "object" || !stored.fields) return null;
      // On a shared device an abandoned draft should not wait for the next person forever.
      if (!(Date.now() - stored.saved_at < DRAFT_DAYS * 86400000)) {
        forget();
        return null;
      }
      // A damaged id or start time would be refused by the API on every try: start afresh.
      if (typeof stored.id !== "string" || !UUID.test(stored.id)) delete stored.id;
      if (typeof stored.started_at !== "number") delete stored.started_at;
      return stored;
    }

    function saveDraft() {
      draft.fields = {};
      for (const name of CHECKED_FIELDS) {
        const element = field(name);
        if (group(name)) draft.fields[name] = valueOf(name);
        else draft.fields[name] = element.type === "checkbox" ? element.checked : element.value;
      }
      draft.id = draft.id || newId();
      draft.started_at = draft.started_at || loadedAt;
      draft.saved_at = Date.now();
      try {
        localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
      } catch {
        // Storage can be full or switched off; the form still works without a draft.
      }
    }

    function forget() {
      try {
        localStorage.removeItem(DRAFT_KEY);
      } catch {
        // Nothing was stored.
      }
    }

    function eraseDraft() {
      draft = { fields: {} };
      forget();
    }

    function restoreDraft() {
      const fields = draft.fields;
      let restored = false;
      for (const name of CHECKED_FIELDS) {
        const value = fields[name];
        if (group(name) && Array.isArray(value)) {
          for (const box of boxes(name)) box.checked = value.includes(box.value);
        } else if (group(name)) {
          continue;
        } else if (field(name).type === "checkbox") {
          if (typeof value === "boolean") field(name).checked = value;
        } else if (typeof value === "string" && value) {
          field(name).value = value;
          restored = true;
        }
      }
      if (restored) setStatus("restored");
    }

    function newId() {
      if (crypto.randomUUID) return crypto.randomUUID();
      const bytes = crypto.getRandomValues(new Uint8Array(16));
      bytes[6] = (bytes[6] & 0x0f) | 0x40;
      bytes[8] = (bytes[8] & 0x3f) | 0x80;
      const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    }

    function payload() {
      const body = { id: draft.id };
      for (const name of CHECKED_FIELDS) body[name] = sent(name);
      return {
        ...body,
        language,
        website: field("website") ? field("website").value : "",
        started_at: draft.started_at,
      };
    }

    function retryDelay(attempt, response) {
      const header = response && response.headers.get("Retry-After");
      if (header) {
        const seconds = /^\d+$/.test(header.trim())
          ? Number(header) * 1000
          : Date.parse(header) - Date.now();
        if (seconds >= 0) return Math.min(seconds, MAX_RETRY_AFTER_MS);
      }
      const ceiling = Math.min(1000 * 2 ** (attempt - 1), MAX_BACKOFF_MS);
      return ceiling / 2 + Math.random() * (ceiling / 2);
    }

    function pause(ms) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          window.removeEventListener("online", done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        window.addEventListener("online", done);
      });
    }

    // Each attempt says when it was sent, on the clock that gave started_at, so the API
    // measures the time the form was open without trusting this device's clock to match its own.
    async function post(body) {
      try {
        return await fetch(form.action, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ ...body, sent_at: Date.now() }),
          credentials: "same-origin",
          cache: "no-store",
          signal: AbortSignal.timeout ? AbortSignal.timeout(REQUEST_TIMEOUT_MS) : undefined,
        });
      } catch {
        return null;
      }
    }

    async function errorsOf(response) {
      try {
        const body = await response.json();
        return Array.isArray(body.errors) ? body.errors : [];
      } catch {
        return [];
      }
    }

    // Retries reuse the same id, so however often a request is sent it is stored once.
    async function deliver(body) {
      for (let attempt = 1; ; attempt += 1) {
        const response = await post(body);
        if (response && (response.status === 200 || response.status === 201)) return { sent: true };
        if (response && response.status === 422) return { errors: await errorsOf(response) };
        if (response && response.status === 409) return { conflict: true };
        if (response && !TRANSIENT.has(response.status)) return { failed: true };
        const wait = retryDelay(attempt, response);
        if (response && response.status === 429 && wait > LONGEST_RATE_LIMIT_WAIT_MS) {
          return { refused: "rate_limited" };
        }
        setStatus("retrying");
        await pause(wait);
      }
    }

    function lock(locked) {
      busy = locked;
      form.setAttribute("aria-busy", String(locked));
      for (const name of CHECKED_FIELDS) {
        const element = field(name);
        if (!group(name) && element.type !== "checkbox" && "readOnly" in element) {
          element.readOnly = locked;
        }
      }
    }

    async function submit() {
      saveDraft();
      lock(true);
      setStatus("sending");
      let outcome = await deliver(payload());
      if (outcome.conflict) {
        // The id was already used for an earlier version of this text; send this one as a new request.
        draft.id = newId();
        saveDraft();
        outcome = await deliver(payload());
      }
      lock(false);
      if (outcome.sent) {
        eraseDraft();
        // Going back to this page must not show the sent request again.
        form.reset();
        setStatus("sent");
        window.location.assign(thanksUrl);
      } else if (outcome.errors && outcome.errors.length) {
        setStatus(null);
        showErrors(outcome.errors);
      } else if (outcome.refused || outcome.conflict) {
        // The draft stays on this device, so the text is there when the person tries again.
        setStatus(outcome.refused || "conflict");
      } else {
        setStatus("failed");
      }
    }

    function onSubmit(event) {
      event.preventDefault();
      if (busy) return;
      const errors = CHECKED_FIELDS.map((name) => ({ field: name, code: check(name) })).filter(
        (error) => error.code,
      );
      if (errors.length) {
        setStatus(null);
        showErrors(errors);
        return;
      }
      CHECKED_FIELDS.forEach((name) => showError(name, null));
      hideSummary();
      submit();
    }

    function onChange(event) {
      const name = event.target.name;
      if (!CHECKED_FIELDS.includes(name)) return;
      saveDraft();
      // Leaving a field by pressing Send: an error shown now would move the button away
      // under the pointer and swallow the click; the submit shows every error anyway.
      if (pressingSubmit) return;
      if (event.type === "change" || first(name).hasAttribute("aria-invalid")) {
        showError(name, check(name));
      }
    }

    function watchSubmitPress() {
      const button = form.querySelector('[type="submit"]');
      if (!button) return;
      button.addEventListener("pointerdown", () => {
        pressingSubmit = true;
      });
      const release = () => setTimeout(() => (pressingSubmit = false), 0);
      document.addEventListener("pointerup", release);
      document.addEventListener("pointercancel", release);
    }

    function onSummaryClick(event) {
      const link = event.target.closest("a[data-field]");
      if (!link) return;
      event.preventDefault();
      if (field(link.dataset.field)) first(link.dataset.field).focus();
    }

    form.noValidate = true;
    restoreDraft();
    watchSubmitPress();
    form.addEventListener("submit", onSubmit);
    form.addEventListener("input", onChange);
    form.addEventListener("change", onChange);
    if (summary) summary.addEventListener("click", onSummaryClick);
  }
})();
