/* The inbox's list: requests of one status (oldest first), filters, paging, the count of
   waiting requests, and exports of the current choice. */
(() => {
  "use strict";

  const inbox = window.AdminInbox;
  if (!inbox) return;
  const { text } = inbox;
  const PAGE_SIZE = 50;
  const EXCERPT_LENGTH = 160;
  const FILTERS = ["status", "topic", "language"];

  const $ = (id) => document.getElementById(id);
  const form = $("inbox-filters");
  const list = $("inbox-list");
  const more = $("inbox-more");
  const results = $("inbox-results");
  let cursor = null;
  let shown = 0;
  // How many fresh lists have been asked for: only the answer to the last one is shown.
  let asked = 0;
  // The choice the list shows, which exports export.
  let applied = {};

  function chosen() {
    const values = {};
    for (const name of FILTERS) {
      const value = form.elements.namedItem(name).value;
      if (value) values[name] = value;
    }
    return values;
  }

  function query(values) {
    return new URLSearchParams(values).toString();
  }

  // The URL keeps the choice, so that Back, a reload or a bookmark shows the same list.
  function readUrl() {
    const params = new URLSearchParams(window.location.search);
    for (const name of FILTERS) {
      const select = form.elements.namedItem(name);
      const value = params.get(name);
      if (value !== null && Array.from(select.options).some((o) => o.value === value)) {
        select.value = value;
      }
    }
  }

  function label(key, fallback) {
    return inbox.has(key) ? text(key) : fallback;
  }

  function line(className, content) {
    const paragraph = document.createElement("p");
    paragraph.className = className;
    paragraph.textContent = content;
    return paragraph;
  }

  function excerpt(message) {
    const characters = Array.from(String(message || ""));
    const cut = characters.slice(0, EXCERPT_LENGTH).join("");
    return characters.length > EXCERPT_LENGTH ? `${cut}…` : cut;
  }

  function item(request) {
    const entry = document.createElement("li");
    const heading = entry.appendChild(document.createElement("h3"));
    const link = heading.appendChild(document.createElement("a"));
    link.href = `request/?id=${encodeURIComponent(request.id)}`;
    const topic = label(`topics.${request.topic}`, request.topic);
    const language = label(`languages.${request.language}`, request.language);
    link.textContent = `${topic} · ${language}`;
    const received = text("admin.inbox.received", {
      date: `${inbox.formatDate(request.created_at)} (${inbox.ago(request.created_at)})`,
    });
    const status = label(`admin.status.${request.status}`, request.status);
    const assigned = request.assigned_to
      ? text("admin.inbox.assigned", { name: request.assigned_to })
      : text("admin.inbox.unassigned");
    entry.append(
      line("meta", `${received} · ${status} · ${assigned}`),
      line("excerpt", excerpt(request.message)),
    );
    return entry;
  }

  async function summary() {
    const waiting = $("summary-waiting");
    const oldest = $("summary-oldest");
    try {
      const found = await inbox.api("/summary");
      waiting.textContent = found.waiting
        ? text("admin.inbox.waiting", { count: found.waiting })
        : text("admin.inbox.none_waiting");
      oldest.hidden = !found.oldest_waiting_since;
      if (found.oldest_waiting_since) {
        const since = found.oldest_waiting_since;
        oldest.textContent = text("admin.inbox.oldest", {
          date: `${inbox.formatDate(since)} (${inbox.ago(since)})`,
        });
      }
    } catch (error) {
      waiting.textContent = inbox.errorText(error);
    }
  }

  function monthName(month) {
    const [year, number] = month.split("-").map(Number);
    const format = new Intl.DateTimeFormat(inbox.lang, {
      month: "long",
      year: "numeric",
      timeZone: "UTC",
    });
    return format.format(new Date(Date.UTC(year, number - 1, 1)));
  }

  function wait(seconds) {
    if (seconds === null || seconds === undefined) return text("admin.figures.no_wait");
    const days = new Intl.NumberFormat(inbox.lang, { maximumFractionDigits: 1 });
    return text("admin.figures.days", { count: days.format(seconds / 86400) });
  }

  function figureRow(month) {
    const row = document.createElement("tr");
    const heading = row.appendChild(document.createElement("th"));
    heading.scope = "row";
    heading.textContent = monthName(month.month);
    for (const value of [month.received, month.introduced, month.helped]) {
      row.appendChild(document.createElement("td")).textContent = String(value);
    }
    row.appendChild(document.createElement("td")).textContent = wait(month.median_wait);
    return row;
  }

  // The last twelve months, newest first: counts only, never personal data.
  async function figures() {
    const found = await inbox.api("/figures");
    $("figures-rows").replaceChildren(...found.months.map(figureRow));
  }

  // Marked busy while any list loads, for assistive technology (and for tests, which wait
  // for it).
  let loading = 0;
  async function load(fresh) {
    loading += 1;
    results.setAttribute("aria-busy", "true");
    try {
      await show(fresh);
    } finally {
      loading -= 1;
      if (!loading) results.removeAttribute("aria-busy");
    }
  }

  async function show(fresh) {
    if (fresh) {
      applied = chosen();
      asked += 1;
    }
    const ticket = asked;
    const params = { ...applied, limit: String(PAGE_SIZE) };
    if (!fresh && cursor) params.cursor = cursor;
    const page = await inbox.api(`/requests?${query(params)}`);
    // A list asked for since (other filters while the first list loads) is the one shown:
    // an answer that comes later to an earlier question must not replace it.
    if (ticket !== asked) return;
    if (fresh) {
      list.replaceChildren();
      shown = 0;
    }
    const items = page.requests.map(item);
    list.append(...items);
    shown += items.length;
    cursor = page.cursor;
    more.hidden = !cursor;
    $("inbox-empty").hidden = shown > 0;
    $("inbox-shown").textContent = shown ? text("admin.inbox.shown", { count: shown }) : "";
    // After "Show more", keyboard users go on from the first new request.
    if (!fresh && items.length) items[0].querySelector("a").focus();
  }

  function filename(disposition, format) {
    const match = /filename="?([\w.-]+)"?/.exec(disposition || "");
    return match ? match[1] : `requests.${format}`;
  }

  async function exportAs(format, button) {
    await inbox.busy(button, async () => {
      const response = await inbox.api(`/export?${query({ ...applied, format })}`, {
        raw: true,
      });
      const blob = await response.blob();
      inbox.download(blob, filename(response.headers.get("Content-Disposition"), format));
      inbox.say(text("admin.inbox.exported"));
    });
  }

  function start() {
    readUrl();
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const search = query(chosen());
      window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
      inbox.busy(event.submitter, () => load(true));
    });
    more.addEventListener("click", () => inbox.busy(more, () => load(false)));
    for (const button of document.querySelectorAll("[data-export]")) {
      button.addEventListener("click", () => exportAs(button.dataset.export, button));
    }
    summary();
    inbox.busy(null, () => load(true));
    inbox.busy(null, figures);
  }

  inbox.view(start);
})();
