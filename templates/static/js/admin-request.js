/* One request: everything stored, its history, "assign to me", a status change with a note,
   a reply by e-mail or phone, and its erasure. Changes name the version the moderator saw. */
(() => {
  "use strict";

  const inbox = window.AdminInbox;
  if (!inbox) return;
  const { text } = inbox;
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  const $ = (id) => document.getElementById(id);
  const id = new URLSearchParams(window.location.search).get("id") || "";
  const note = $("note");
  let current = null;

  function label(key, fallback) {
    return inbox.has(key) ? text(key) : fallback || "";
  }

  function fill(name, value) {
    $(`field-${name}`).textContent = value || "";
  }

  function reply(lang, part) {
    const templates = $("admin-replies").content;
    const node =
      templates.querySelector(`[data-lang="${lang}"][data-part="${part}"]`) ||
      templates.querySelector(`[data-lang="${inbox.lang}"][data-part="${part}"]`);
    return node ? node.textContent.trim() : "";
  }

  function isEmail(request) {
    return request.contact_kind ? request.contact_kind === "email" : request.contact.includes("@");
  }

  // A short start of the answer, in the language the person wrote in.
  function mailto(request) {
    const lang = /^[a-z]{2}$/.test(request.language) ? request.language : inbox.lang;
    const greeting = request.name
      ? reply(lang, "greeting").replace("{name}", request.name)
      : reply(lang, "greeting_anonymous");
    const body = [greeting, reply(lang, "body"), reply(lang, "signature")].join("\n\n");
    const address = encodeURIComponent(request.contact).replace(/%40/g, "@");
    const subject = encodeURIComponent(reply(lang, "subject"));
    return `mailto:${address}?subject=${subject}&body=${encodeURIComponent(`${body}\n`)}`;
  }

  function showReply(request) {
    const email = isEmail(request);
    const mail = $("reply-email");
    const phone = $("reply-phone");
    mail.hidden = !email;
    phone.hidden = email;
    $("reply-hint").hidden = !email;
    if (email) mail.href = mailto(request);
    else {
      phone.href = `tel:${request.contact.replace(/[^\d+]/g, "")}`;
      phone.textContent = text("admin.request.reply_phone", { number: request.contact });
    }
  }

  function historyItem(entry) {
    const item = document.createElement("li");
    const time = item.appendChild(document.createElement("time"));
    time.dateTime = entry.at;
    time.textContent = inbox.formatDate(entry.at);
    const what =
      entry.action === "assign"
        ? text("admin.request.history_assign", { by: entry.by })
        : text("admin.request.history_status", {
            by: entry.by,
            status: label(`admin.status.${entry.status}`, entry.status),
          });
    item.append(` · ${what}`);
    if (entry.note) {
      const paragraph = item.appendChild(document.createElement("p"));
      paragraph.className = "note";
      paragraph.textContent = entry.note;
    }
    return item;
  }

  // `keepChoice`: after a conflict, the status the moderator chose stays chosen.
  function show(request, keepChoice = false) {
    current = request;
    fill("received", inbox.formatDate(request.created_at));
    fill("status", label(`admin.status.${request.status}`, request.status));
    fill("topic", label(`topics.${request.topic}`, request.topic));
    fill("language", label(`languages.${request.language}`, request.language));
    fill("name", request.name || text("admin.request.no_name"));
    fill("contact", request.contact);
    fill("assigned", request.assigned_to || text("admin.request.nobody"));
    fill("updated", request.updated_at ? inbox.formatDate(request.updated_at) : "—");
    fill("retained", inbox.formatDate(request.retained_until));
    fill("consent", request.consent_version);
    fill("id", request.id);
    fill("message", request.message);
    showReply(request);
    const mine = Boolean(request.assigned_to) && request.assigned_to === inbox.me();
    $("assigned-yours").hidden = !mine;
    $("assign").hidden = mine;
    const radio = $(`status-${request.status}`);
    if (radio && !keepChoice) radio.checked = true;
    const history = Array.isArray(request.history) ? request.history : [];
    $("history-list").replaceChildren(...history.map(historyItem));
    $("history-empty").hidden = history.length > 0;
    $("request").hidden = false;
  }

  // A 409 carries the request as it is now: show it, and keep what the moderator typed.
  // True when the change was saved.
  async function change(button, path, body) {
    return inbox.busy(button, async () => {
      try {
        show(await inbox.api(`/requests/${id}/${path}`, { method: "POST", body }));
        inbox.say(text("admin.request.saved"));
        return true;
      } catch (error) {
        if (error instanceof inbox.ApiError && error.status === 409 && error.data.request) {
          show(error.data.request, true);
        }
        throw error;
      }
    });
  }

  function countNote() {
    $("note-count").textContent = text("admin.request.note_count", {
      count: Array.from(note.value).length,
      max: note.maxLength,
    });
  }

  async function saveStatus(event) {
    event.preventDefault();
    const chosen = event.target.elements.namedItem("status").value;
    const body = { status: chosen, version: current.version };
    if (note.value.trim()) body.note = note.value.trim();
    if (await change(event.submitter, "status", body)) {
      note.value = "";
      countNote();
    }
  }

  function confirming(open) {
    $("erase-confirm").hidden = !open;
    if (open) $("erase-question").focus();
    else $("erase-start").focus();
  }

  async function erase(button) {
    await inbox.busy(button, async () => {
      await inbox.api(`/requests/${id}/erase`, { method: "POST", body: { confirm: true } });
      current = null;
      $("request").hidden = true;
      $("request").replaceChildren();
      inbox.say(text("admin.request.erased"));
      $("view-title").focus();
    });
  }

  async function load() {
    await inbox.busy(null, async () => show(await inbox.api(`/requests/${id}`)));
  }

  function start() {
    if (!UUID.test(id)) {
      $("request-missing").hidden = false;
      return;
    }
    $("assign").addEventListener("click", (event) =>
      change(event.currentTarget, "assign", { version: current.version }),
    );
    $("status-form").addEventListener("submit", saveStatus);
    note.addEventListener("input", countNote);
    countNote();
    $("erase-start").addEventListener("click", () => confirming(true));
    $("erase-no").addEventListener("click", () => confirming(false));
    $("erase-yes").addEventListener("click", (event) => erase(event.currentTarget));
    load();
  }

  inbox.view(start);
})();
