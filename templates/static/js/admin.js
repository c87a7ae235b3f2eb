/* The moderators' inbox: sign-in against Cognito, the session, and calls to the moderators'
   API. Each view's own script registers itself with `AdminInbox.view(start)`. */
(() => {
  "use strict";

  const SESSION_KEY = "ask-for-help:admin-session";
  const NOTICE_KEY = "ask-for-help:admin-notice";
  const LANGUAGE_KEY = "ask-for-help:admin-language";
  const IDLE_LIMIT_MS = 30 * 60 * 1000;
  const IDLE_CHECK_MS = 15 * 1000;
  const ACTIVITY_SAVE_MS = 5 * 1000;
  const REFRESH_MARGIN_MS = 5 * 60 * 1000;
  const SIGN_OUT_TIMEOUT_MS = 5000;
  const COGNITO_TARGET = "AWSCognitoIdentityProviderService.";
  const API_BASE = "/api/admin";
  const CODE = /^\d{6}$/;
  const WORD = /^[a-z_-]+$/;
  const STEPS = {
    password: "signin-password",
    newPassword: "signin-new-password",
    setup: "signin-setup",
    code: "signin-code",
  };
  // Cognito's exception names, as the sign-in form explains them.
  const SIGN_IN_ERRORS = {
    NotAuthorizedException: "admin.signin.wrong_password",
    UserNotFoundException: "admin.signin.wrong_password",
    PasswordResetRequiredException: "admin.signin.wrong_password",
    CodeMismatchException: "admin.signin.wrong_code",
    EnableSoftwareTokenMFAException: "admin.signin.wrong_code",
    InvalidPasswordException: "admin.signin.weak_password",
    ExpiredCodeException: "admin.signin.too_late",
    ResourceNotFoundException: "admin.signin.too_late",
    TooManyRequestsException: "admin.signin.too_many",
    TooManyFailedAttemptsException: "admin.signin.too_many",
    LimitExceededException: "admin.signin.too_many",
    no_mfa: "admin.signin.no_mfa",
    network: "admin.errors.network",
  };
  const STATUS_ERRORS = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "version_conflict",
    413: "payload_too_large",
    503: "unavailable",
  };

  const $ = (id) => document.getElementById(id);
  const lang = document.documentElement.lang;
  const catalogue = new Map(
    Array.from($("admin-messages").content.querySelectorAll("[data-key]"), (node) => [
      node.dataset.key,
      node.textContent.trim(),
    ]),
  );

  let session = null;
  let challenge = null;
  let configLoaded = null;
  let refreshTimer = 0;
  let idleTimer = 0;
  let startView = null;
  let leaving = false;
  let viewStarted = false;

  function text(key, values = {}) {
    const template = catalogue.get(key);
    if (template === undefined) return catalogue.get("admin.errors.failed") || key;
    return template.replace(/\{(\w+)\}/g, (whole, name) =>
      Object.hasOwn(values, name) ? String(values[name]) : whole,
    );
  }

  function has(key) {
    return catalogue.has(key);
  }

  function say(message) {
    $("admin-status").textContent = message || "";
  }

  function alertWith(message) {
    const box = $("admin-alert");
    box.textContent = message || "";
    box.hidden = !message;
  }

  // --- Dates ---------------------------------------------------------------------------

  const dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  const relativeFormat = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const UNITS = [
    ["day", 86400000],
    ["hour", 3600000],
    ["minute", 60000],
  ];

  function formatDate(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? String(iso || "") : dateFormat.format(date);
  }

  function ago(iso) {
    const elapsed = Date.now() - new Date(iso).getTime();
    if (Number.isNaN(elapsed)) return "";
    for (const [unit, size] of UNITS) {
      if (elapsed >= size) return relativeFormat.format(-Math.floor(elapsed / size), unit);
    }
    return relativeFormat.format(0, "minute");
  }

  // --- Cognito -------------------------------------------------------------------------

  class CognitoError extends Error {
    constructor(type, message) {
      super(message || type);
      this.type = type;
    }
  }

  function config() {
    configLoaded =
      configLoaded ||
      fetch("/admin/config.json", { cache: "no-store", credentials: "same-origin" }).then(
        (response) => {
          if (!response.ok) throw new CognitoError("network");
          return response.json();
        },
        () => {
          throw new CognitoError("network");
        },
      );
    return configLoaded;
  }

  async function cognito(action, body, { signal } = {}) {
    const { cognitoEndpoint } = await config();
    let response;
    try {
      response = await fetch(`${cognitoEndpoint.replace(/\/+$/, "")}/`, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": COGNITO_TARGET + action,
        },
        body: JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
        signal,
      });
    } catch {
      throw new CognitoError("network");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const type = String(data.__type || data.code || "").split("#").pop();
      throw new CognitoError(type, data.message);
    }
    return data;
  }

  async function clientId() {
    return (await config()).clientId;
  }

  // --- Session -------------------------------------------------------------------------

  function readSession() {
    try {
      const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
      return stored && stored.access && stored.refresh ? stored : null;
    } catch {
      return null;
    }
  }

  function saveSession() {
    if (session) sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  }

  // The access token's own claims, for who the page says is signed in (not for any check).
  function claims() {
    try {
      const part = session.access.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const bytes = Uint8Array.from(atob(part), (char) => char.charCodeAt(0));
      return JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      return {};
    }
  }

  function me() {
    const found = session ? claims() : {};
    return found.username || found["cognito:username"] || "";
  }

  function keep(result, name) {
    const now = Date.now();
    session = {
      access: result.AccessToken,
      refresh: result.RefreshToken || (session && session.refresh),
      expiresAt: now + Number(result.ExpiresIn || 3600) * 1000,
      name: name || (session && session.name) || "",
      activity: session ? session.activity : now,
    };
    saveSession();
    scheduleRefresh();
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    const left = session.expiresAt - Date.now();
    const wait = left > 2 * REFRESH_MARGIN_MS ? left - REFRESH_MARGIN_MS : left / 2;
    refreshTimer = setTimeout(() => {
      if (session) refresh().catch(() => signOut("admin.signin.expired"));
    }, Math.max(wait, 0));
  }

  async function refresh() {
    const result = await cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: await clientId(),
      AuthParameters: { REFRESH_TOKEN: session.refresh },
    });
    keep(result.AuthenticationResult);
  }

  function noteActivity() {
    if (!session) return;
    const now = Date.now();
    if (now - session.activity < ACTIVITY_SAVE_MS) return;
    session.activity = now;
    saveSession();
  }

  function idle() {
    return Boolean(session) && Date.now() - session.activity >= IDLE_LIMIT_MS;
  }

  function checkIdle() {
    if (idle()) signOut("admin.signin.idle");
  }

  function watchActivity() {
    for (const name of ["pointerdown", "keydown", "input", "wheel", "touchstart"]) {
      document.addEventListener(name, noteActivity, { passive: true, capture: true });
    }
    document.addEventListener("visibilitychange", checkIdle);
    clearInterval(idleTimer);
    idleTimer = setInterval(checkIdle, IDLE_CHECK_MS);
  }

  // Revokes the tokens, forgets them, and loads the page afresh: nothing the signed-in page
  // showed stays in it.
  async function signOut(noticeKey) {
    // The first reason to leave is the one the moderator is told.
    if (leaving) return;
    leaving = true;
    const ending = session;
    session = null;
    clearTimeout(refreshTimer);
    clearInterval(idleTimer);
    sessionStorage.removeItem(SESSION_KEY);
    sessionStorage.setItem(NOTICE_KEY, noticeKey);
    if (ending) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), SIGN_OUT_TIMEOUT_MS);
      // An expired token needs no revoking, and an unreachable Cognito must not keep anyone
      // signed in on this device.
      await cognito("GlobalSignOut", { AccessToken: ending.access }, { signal: abort.signal }).catch(
        () => null,
      );
      clearTimeout(timer);
    }
    window.location.replace(window.location.pathname + window.location.search);
  }

  // --- Sign-in -------------------------------------------------------------------------

  function showStep(name, focus) {
    for (const [step, id] of Object.entries(STEPS)) $(id).hidden = step !== name;
    if (!focus) return;
    const form = $(STEPS[name]);
    const target = form.querySelector("h2, h3") || form.querySelector("input");
    if (target) target.focus();
  }

  function showSignIn(noticeKey) {
    $("signin").hidden = false;
    $("admin-view").hidden = true;
    $("admin-nav").hidden = true;
    challenge = null;
    showStep("password", false);
    if (noticeKey) say(text(noticeKey));
  }

  function refuse(input, key) {
    input.setAttribute("aria-invalid", "true");
    alertWith(text(key));
    input.focus();
  }

  function cognitoMessage(error) {
    const type = error instanceof CognitoError ? error.type : "";
    // After the password step, Cognito says NotAuthorized when the sign-in's session ran out.
    if (type === "NotAuthorizedException" && challenge) return text("admin.signin.too_late");
    return has(SIGN_IN_ERRORS[type]) ? text(SIGN_IN_ERRORS[type]) : text("admin.signin.failed");
  }

  async function working(form, action) {
    const buttons = form.querySelectorAll("button");
    for (const button of buttons) button.disabled = true;
    for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
    alertWith("");
    say(text("admin.signin.working"));
    try {
      await action();
    } catch (error) {
      say("");
      alertWith(cognitoMessage(error));
      const input = form.querySelector("input:not([hidden])");
      if (input && !form.hidden) input.focus();
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  async function next(result, username) {
    if (result.AuthenticationResult) {
      keep(result.AuthenticationResult, username || challenge.name);
      challenge = null;
      enter(true);
      return;
    }
    const parameters = result.ChallengeParameters || {};
    const previous = challenge || {};
    challenge = {
      session: result.Session,
      name: username || previous.name,
      username:
        parameters.USER_ID_FOR_SRP || parameters.USERNAME || previous.username || username,
    };
    say("");
    if (result.ChallengeName === "NEW_PASSWORD_REQUIRED") {
      // For password managers: which account the new password belongs to.
      $("new-password-user").value = challenge.name;
      showStep("newPassword", true);
    }
    else if (result.ChallengeName === "MFA_SETUP") await startSetup(parameters);
    else if (result.ChallengeName === "SOFTWARE_TOKEN_MFA") showStep("code", true);
    else throw new CognitoError("unsupported");
  }

  async function startSetup(parameters) {
    // Cognito lists the choices as JSON text, moto as a Python list: the name is enough.
    if (!String(parameters.MFAS_CAN_SETUP || "").includes("SOFTWARE_TOKEN_MFA")) {
      throw new CognitoError("no_mfa");
    }
    const associated = await cognito("AssociateSoftwareToken", { Session: challenge.session });
    challenge.session = associated.Session || challenge.session;
    const secret = String(associated.SecretCode || "");
    const issuer = document.body.dataset.issuer || "";
    const label = encodeURIComponent(`${issuer}:${challenge.name}`);
    const uri = `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}`;
    $("setup-secret").textContent = secret.replace(/(.{4})(?=.)/g, "$1 ");
    $("setup-uri").href = uri;
    $("setup-uri").textContent = uri;
    showStep("setup", true);
  }

  async function onPassword(event) {
    event.preventDefault();
    const name = $("signin-name");
    const password = $("signin-secret");
    if (!name.value.trim()) return refuse(name, "admin.signin.required");
    if (!password.value) return refuse(password, "admin.signin.required");
    await working(event.target, async () => {
      challenge = null;
      const result = await cognito("InitiateAuth", {
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: await clientId(),
        AuthParameters: { USERNAME: name.value.trim(), PASSWORD: password.value },
      });
      password.value = "";
      await next(result, name.value.trim());
    });
  }

  async function onNewPassword(event) {
    event.preventDefault();
    const first = $("new-password");
    const second = $("new-password-again");
    if (!first.value) return refuse(first, "admin.signin.required");
    if (first.value !== second.value) return refuse(second, "admin.signin.password_mismatch");
    await working(event.target, async () => {
      const result = await cognito("RespondToAuthChallenge", {
        ChallengeName: "NEW_PASSWORD_REQUIRED",
        ClientId: await clientId(),
        Session: challenge.session,
        ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: first.value },
      });
      first.value = "";
      second.value = "";
      await next(result);
    });
  }

  function codeOf(input) {
    const code = input.value.replace(/\s/g, "");
    if (!CODE.test(code)) {
      refuse(input, "admin.signin.code_format");
      return null;
    }
    return code;
  }

  async function onSetup(event) {
    event.preventDefault();
    const code = codeOf($("setup-code"));
    if (!code) return;
    await working(event.target, async () => {
      const verified = await cognito("VerifySoftwareToken", {
        Session: challenge.session,
        UserCode: code,
        FriendlyDeviceName: document.body.dataset.issuer || "inbox",
      });
      $("setup-code").value = "";
      const result = await cognito("RespondToAuthChallenge", {
        ChallengeName: "MFA_SETUP",
        ClientId: await clientId(),
        Session: verified.Session || challenge.session,
        ChallengeResponses: { USERNAME: challenge.username },
      });
      await next(result);
    });
  }

  async function onCode(event) {
    event.preventDefault();
    const code = codeOf($("code"));
    if (!code) return;
    await working(event.target, async () => {
      const result = await cognito("RespondToAuthChallenge", {
        ChallengeName: "SOFTWARE_TOKEN_MFA",
        ClientId: await clientId(),
        Session: challenge.session,
        ChallengeResponses: { USERNAME: challenge.username, SOFTWARE_TOKEN_MFA_CODE: code },
      });
      $("code").value = "";
      await next(result);
    });
  }

  function restart() {
    challenge = null;
    alertWith("");
    say("");
    showStep("password", false);
    $("signin-name").focus();
  }

  function enter(focus) {
    $("signin").hidden = true;
    $("admin-nav").hidden = false;
    $("admin-view").hidden = false;
    $("signed-in-as").textContent = text("admin.nav.signed_in_as", { name: session.name });
    alertWith("");
    say("");
    watchActivity();
    if (focus) {
      const title = $("view-title");
      if (title) title.focus();
    }
    if (!viewStarted && startView) {
      viewStarted = true;
      startView();
    }
  }

  // --- The moderators' API -------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, data) {
      super(`API ${status}`);
      this.status = status;
      this.data = data || {};
      if (typeof this.data.error === "string") this.code = this.data.error;
      else if (Array.isArray(this.data.errors)) this.code = "invalid";
      else this.code = STATUS_ERRORS[status] || "failed";
    }
  }

  async function send(path, method, body, raw) {
    const headers = { Authorization: `Bearer ${session.access}` };
    if (!raw) headers.Accept = "application/json";
    if (body !== undefined) headers["Content-Type"] = "application/json";
    try {
      return await fetch(API_BASE + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, { error: "network" });
    }
  }

  async function api(path, { method = "GET", body, raw = false } = {}) {
    if (!session) throw new ApiError(401);
    let response = await send(path, method, body, raw);
    if (response.status === 401) {
      // The token may have run out while the page slept: refresh once, then give up.
      try {
        await refresh();
      } catch {
        await signOut("admin.signin.expired");
        throw new ApiError(401);
      }
      response = await send(path, method, body, raw);
      if (response.status === 401) {
        await signOut("admin.signin.expired");
        throw new ApiError(401);
      }
    }
    if (raw && response.ok) return response;
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  function errorText(error) {
    if (!(error instanceof ApiError)) return text("admin.errors.failed");
    if (error.code === "invalid") {
      const codes = error.data.errors.map(({ code }) => (WORD.test(code) ? code : "invalid"));
      return Array.from(new Set(codes), (code) =>
        has(`admin.errors.field.${code}`)
          ? text(`admin.errors.field.${code}`)
          : text("admin.errors.failed"),
      ).join(" ");
    }
    const key = `admin.errors.${WORD.test(error.code) ? error.code : "failed"}`;
    return has(key) ? text(key) : text("admin.errors.failed");
  }

  function download(blob, filename) {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  }

  // Runs an action for a button: disabled meanwhile, errors shown in the moderator's language.
  async function busy(button, action) {
    if (button) button.disabled = true;
    alertWith("");
    try {
      return await action();
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) alertWith(errorText(error));
      return undefined;
    } finally {
      if (button) button.disabled = false;
    }
  }

  // --- Start ---------------------------------------------------------------------------

  function rememberLanguage() {
    try {
      localStorage.setItem(LANGUAGE_KEY, lang);
    } catch {
      // Storage may be off; the language is then chosen again next time.
    }
    // The same view in another language, for the same request.
    for (const link of document.querySelectorAll(".languages a[data-language]")) {
      link.href = link.pathname + window.location.search;
    }
  }

  function start() {
    rememberLanguage();
    $("signin-password").addEventListener("submit", onPassword);
    $("signin-new-password").addEventListener("submit", onNewPassword);
    $("signin-setup").addEventListener("submit", onSetup);
    $("signin-code").addEventListener("submit", onCode);
    for (const button of document.querySelectorAll("[data-restart]")) {
      button.addEventListener("click", restart);
    }
    $("sign-out").addEventListener("click", () => signOut("admin.signin.signed_out"));
    const notice = sessionStorage.getItem(NOTICE_KEY);
    sessionStorage.removeItem(NOTICE_KEY);
    session = readSession();
    if (session && idle()) {
      signOut("admin.signin.idle");
    } else if (!session) {
      showSignIn(notice);
    } else if (session.expiresAt - Date.now() < REFRESH_MARGIN_MS / 5) {
      refresh().then(
        () => enter(false),
        () => signOut("admin.signin.expired"),
      );
    } else {
      scheduleRefresh();
      enter(false);
    }
  }

  window.AdminInbox = Object.freeze({
    lang,
    text,
    has,
    api,
    ApiError,
    errorText,
    busy,
    download,
    formatDate,
    ago,
    me,
    say,
    alert: alertWith,
    view(begin) {
      startView = begin;
    },
  });

  document.addEventListener("DOMContentLoaded", start);
})();
