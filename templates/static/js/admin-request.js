/* One request: everything stored, its history, "assign to me", a status change with a note,
   a reply by e-mail or phone, its introductions, the helpers suggested for it (with a button to
   introduce one and their record), and its erasure. Changes name the version the moderator saw. */
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
    let what = text("admin.request.history_status", {
      by: entry.by,
      status: label(`admin.status.${entry.status}`, entry.status),
    });
    if (entry.action === "assign") what = text("admin.request.history_assign", { by: entry.by });
    if (entry.action === "introduce") {
      what = text("admin.helpers.history_introduce", { by: entry.by });
    }
    // Its stored note says the same in English; the moderator reads it in their language.
    const withdrawn = entry.action === "withdrawn";
    if (withdrawn) what = text("admin.helpers.history_withdrawn");
    item.append(` · ${what}`);
    if (entry.note && !withdrawn) {
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

  // --- Helpers: the request's introductions, suggestions, a helper's record ---------------

  const OPEN = ["new", "in-progress"];
  let recordOpener = null;

  function names(prefix, codes) {
    return (codes || []).map((code) => label(`${prefix}${code}`, code)).join(", ");
  }

  function introductionItem(introduction) {
    const item = document.createElement("li");
    const name = introduction.helper_name || introduction.helper_id;
    const when = inbox.formatDate(introduction.created_at);
    const state = label(`admin.helpers.state.${introduction.status}`, introduction.status);
    item.textContent = `${text("admin.helpers.introduction", { name, date: when })} · ${state}`;
    if (introduction.note) {
      const note = item.appendChild(document.createElement("p"));
      note.className = "note";
      note.textContent = introduction.note;
    }
    return item;
  }

  async function showIntroductions() {
    const found = await inbox.api(`/requests/${id}/introductions`);
    const items = found.introductions.map(introductionItem);
    $("introductions-list").replaceChildren(...items);
    $("introductions-empty").hidden = items.length > 0;
    $("by-phone").hidden = !items.length || isEmail(current);
  }

  function part(node, name) {
    return node.querySelector(`[data-part="${name}"]`);
  }

  function suggestionItem(helper) {
    const node = $("suggestion-template").content.firstElementChild.cloneNode(true);
    part(node, "name").textContent = helper.name;
    part(node, "topics").textContent = names("topics.", helper.topics);
    part(node, "languages").textContent = names("languages.", helper.languages);
    part(node, "ways").textContent = names("admin.helpers.way.", helper.ways);
    part(node, "region").textContent = helper.region || "";
    part(node, "region").hidden = !helper.region;
    part(node, "region-label").hidden = !helper.region;
    part(node, "room").textContent = text("admin.helpers.room", { count: helper.room });
    part(node, "open").textContent = text("admin.helpers.open", {
      count: helper.open_introductions,
    });
    const record = part(node, "record");
    record.textContent = text("admin.helpers.show_record", { name: helper.name });
    record.addEventListener("click", () => showRecord(helper.id, record));
    const note = part(node, "note");
    note.id = `introduce-note-${helper.id}`;
    part(node, "note-label").htmlFor = note.id;
    part(node, "note-hint").id = `introduce-hint-${helper.id}`;
    note.setAttribute("aria-describedby", part(node, "note-hint").id);
    part(node, "introduce").textContent = text("admin.helpers.introduce", { name: helper.name });
    node.querySelector("form").addEventListener("submit", (event) => {
      event.preventDefault();
      introduce(helper, note, event.submitter);
    });
    return node;
  }

  async function showSuggestions() {
    const open = OPEN.includes(current.status);
    $("suggestions-closed").hidden = open;
    if (!open) {
      $("suggestions-list").replaceChildren();
      $("suggestions-empty").hidden = true;
      return;
    }
    const found = await inbox.api(`/requests/${id}/suggestions`);
    $("suggestions-list").replaceChildren(...found.helpers.map(suggestionItem));
    $("suggestions-empty").hidden = found.helpers.length > 0;
  }

  async function showHelpers() {
    await showIntroductions();
    await showSuggestions();
  }

  async function introduce(helper, note, button) {
    const body = { helper: helper.id, version: current.version };
    if (note.value.trim()) body.note = note.value.trim();
    await inbox.busy(button, async () => {
      try {
        const made = await inbox.api(`/requests/${id}/introductions`, { method: "POST", body });
        show(made.request);
      } catch (error) {
        if (error instanceof inbox.ApiError && error.status === 409 && error.data.request) {
          show(error.data.request, true);
        }
        throw error;
      }
      await showHelpers();
      inbox.say(text("admin.helpers.introduced", { name: helper.name }));
      $("introductions-title").focus();
    });
  }

  function recordRow(list, term, value) {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    dd.textContent = value;
    list.append(dt, dd);
  }

  function recordItem(introduction) {
    const item = document.createElement("li");
    const link = item.appendChild(document.createElement("a"));
    link.href = `?id=${encodeURIComponent(introduction.request_id)}`;
    link.textContent = text("admin.helpers.to_request", {
      date: inbox.formatDate(introduction.created_at),
    });
    const state = label(`admin.helpers.state.${introduction.status}`, introduction.status);
    const topic = label(`topics.${introduction.topic}`, introduction.topic || "");
    item.append(` · ${topic} · ${state}`);
    return item;
  }

  function fillList(list, introductions) {
    const items = introductions.map(recordItem);
    if (!items.length) {
      const none = document.createElement("li");
      none.textContent = text("admin.helpers.none");
      items.push(none);
    }
    list.replaceChildren(...items);
  }

  async function showRecord(helperId, opener) {
    await inbox.busy(opener, async () => {
      const found = await inbox.api(`/helpers/${encodeURIComponent(helperId)}`);
      const helper = found.helper;
      $("record-title").textContent = `${text("admin.helpers.record_title")}: ${helper.name}`;
      const details = $("record-details");
      details.replaceChildren();
      recordRow(details, text("admin.helpers.email"), helper.email);
      const status = label(`admin.helpers.offer_status.${helper.status}`, helper.status);
      recordRow(details, text("admin.helpers.offer"), status);
      recordRow(details, text("admin.helpers.since"), inbox.formatDate(helper.created_at));
      recordRow(details, text("admin.helpers.capacity"), String(helper.capacity));
      recordRow(details, text("admin.helpers.topics"), names("topics.", helper.topics));
      recordRow(details, text("admin.helpers.languages"), names("languages.", helper.languages));
      recordRow(details, text("admin.helpers.ways"), names("admin.helpers.way.", helper.ways));
      if (helper.region) recordRow(details, text("admin.helpers.region"), helper.region);
      fillList($("record-open"), found.open);
      fillList($("record-past"), found.past);
      recordOpener = opener;
      $("helper-record").hidden = false;
      $("record-title").focus();
    });
  }

  function closeRecord() {
    $("helper-record").hidden = true;
    if (recordOpener && recordOpener.isConnected) recordOpener.focus();
    else $("suggestions-title").focus();
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
      await inbox.busy(null, showSuggestions);
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
    await inbox.busy(null, async () => {
      show(await inbox.api(`/requests/${id}`));
      await showHelpers();
    });
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
    $("record-close").addEventListener("click", closeRecord);
    load();
  }

  inbox.view(start);
})();
