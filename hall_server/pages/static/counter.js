// The counter page: renders the board, sends actions, listens to /api/v1/events.
// Plain JavaScript, no build step, no library: the page must work on the hall LAN offline.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const json = (id) => JSON.parse($(id).textContent);
  const page = json("page-data");
  const T = json("strings");
  const ERRORS = json("errors");
  const CSRF = document.querySelector('meta[name="csrf-token"]').content;
  const counter = page.counter;
  const api = page.api;
  const base = `${api}/queue/counters/${encodeURIComponent(counter)}`;
  let board = json("board");
  let clockSkew = 0; // server now minus browser now, ms
  let busy = false;

  // crypto.randomUUID needs a secure context; a hall LAN page is often plain http
  function uuid() {
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("data-")) node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  };
  const serviceName = (s) => (page.lang === "en" ? s.service_name_en || s.name_en : s.service_name || s.name) || s.service || s.code;

  function fmtWait(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const m = Math.floor(s / 60);
    return m ? `${m} ${T.minutes} ${String(s % 60).padStart(2, "0")} ${T.seconds}` : `${s} ${T.seconds}`;
  }

  // times on the hall's clock (hall.timezone), whatever zone the workstation is set to
  const hallTime = new Intl.DateTimeFormat("en-GB", {
    timeZone: page.tz, hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  const clock = (iso) => (iso ? hallTime.format(new Date(iso)) : "—");

  function waitedNow(ticket) {
    const issued = Date.parse(ticket.issued_at);
    const end = ticket.called_at && ticket.status !== "waiting" ? Date.parse(ticket.called_at) : Date.now() + clockSkew;
    return (end - issued) / 1000;
  }

  // --- rendering ---------------------------------------------------------------------------
  function renderCurrent() {
    const cur = board.current;
    $("current").classList.toggle("is-empty", !cur);
    $("cur-status").textContent = cur ? T["st_" + cur.status] || cur.status : "";
    $("cur-status").dataset.status = cur ? cur.status : "";
    if (!cur) return;
    $("cur-number").textContent = cur.number;
    $("cur-service").textContent = serviceName(cur);
    $("cur-priority").textContent = cur.priority ? T["prio_" + cur.priority] || cur.priority : T.normal;
    $("cur-priority").className = cur.priority ? "prio" : "";
    $("cur-name").textContent = cur.name_masked || "—";
    $("cur-appointment").textContent = cur.appointment || "—";
    $("cur-waited").textContent = fmtWait(waitedNow(cur));
    $("cur-issued").textContent = clock(cur.issued_at);
    $("cur-called").textContent = clock(cur.called_at);
    $("cur-started").textContent = clock(cur.started_at);
  }

  function renderLists() {
    $("waiting-total").textContent = board.waiting_total;
    $("services").replaceChildren(
      ...board.services.map((s) =>
        el("li", { "data-service": s.code },
          el("span", {}, `${s.prefix} · ${serviceName(s)}`, s.open ? null : el("span", { class: "closed" }, T.state_closed)),
          el("span", { class: "count" }, String(s.waiting), T.people ? el("small", { class: "muted" }, " " + T.people) : null))
      )
    );
    const queue = board.queue.map((t) =>
      el("li", { class: t.priority ? "prio" : "", "data-ticket": t.id, title: serviceName(t) }, t.number,
        el("small", {}, fmtWait(waitedNow(t))))
    );
    $("queue").replaceChildren(...(queue.length ? queue : [el("p", { class: "muted" }, T.nobody_waiting)]));
    const rows = (list, empty, actions) =>
      list.length
        ? list.map((t) =>
            el("li", { "data-ticket": t.id },
              el("span", {}, el("strong", {}, t.number), " ", el("span", { class: "muted" }, serviceName(t))),
              el("span", { class: "row-actions" }, ...actions.map(([action, label]) =>
                el("button", { class: "btn", type: "button", "data-row-action": action, onclick: () => act(action, t) }, T[label])))))
        : [el("li", { class: "muted" }, T[empty])];
    $("held").replaceChildren(...rows(board.held, "none_held", [["resume", "act_resume"], ["return", "act_return"]]));
    $("no-shows").replaceChildren(...rows(board.no_shows, "none_no_show", [["requeue", "act_requeue"]]));
  }

  function renderState() {
    const state = board.state;
    const pill = $("counter-state");
    pill.hidden = !state;
    if (state) {
      pill.textContent = T["state_" + state] || state;
      pill.dataset.state = state;
    }
    const status = board.current ? board.current.status : null;
    const enabled = {
      "call-next": true, // calling opens a paused or closed counter
      recall: status === "called",
      start: status === "called",
      finish: status === "serving" || status === "called",
      "no-show": status === "called",
      transfer: status === "called" || status === "serving",
      hold: status === "called" || status === "serving",
      resume: board.held.length > 0 && !board.current,
      requeue: board.no_shows.length > 0,
      pause: state !== "paused",
      open: state !== "open",
      close: state !== "closed",
    };
    for (const button of document.querySelectorAll("button[data-action]")) {
      button.disabled = busy || !enabled[button.dataset.action];
    }
    // a row's button too: a click while an action is under way would be dropped unseen
    for (const button of document.querySelectorAll("button[data-row-action]")) {
      button.disabled = busy;
    }
  }

  function render() {
    renderCurrent();
    renderLists();
    renderState();
  }

  function setBoard(next) {
    board = next;
    clockSkew = Date.parse(board.now) - Date.now();
    render();
  }

  // --- data --------------------------------------------------------------------------------
  let refreshTimer = null;
  let refreshing = false;
  let again = false;

  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const resp = await fetch(`/counter/board?counter=${encodeURIComponent(counter)}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store",
      });
      if (resp.status === 401) { location.reload(); return; }
      if (resp.ok) setBoard(await resp.json());
    } catch (err) {
      // keep the last good board on screen; the event stream's reconnect triggers a refresh
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 60); // coalesce a burst of events into one read
  }

  function say(text, bad) {
    const m = $("message");
    m.hidden = false;
    m.textContent = text;
    m.classList.toggle("bad", !!bad);
    clearTimeout(say.timer);
    say.timer = setTimeout(() => { m.hidden = true; }, bad ? 8000 : 3000);
  }

  async function post(url, body) {
    const resp = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRF-Token": CSRF,
        "Idempotency-Key": uuid(),
      },
      body: JSON.stringify(body || {}),
    });
    let data = null;
    try { data = await resp.json(); } catch (err) { data = null; }
    if (!resp.ok) {
      const error = (data && data.error) || { code: `HTTP ${resp.status}`, message: resp.statusText };
      const e = new Error(error.message);
      e.code = error.code;
      throw e;
    }
    return data;
  }

  function requestFor(action, ticket) {
    switch (action) {
      case "requeue": return [`${api}/queue/tickets/${encodeURIComponent(ticket.id)}/requeue`, {}];
      case "resume": case "return": return [`${base}/${action}`, { ticket_id: ticket.id }];
      case "transfer": return [`${base}/transfer`, { service: ticket }];
      default: return [`${base}/${action}`, {}];
    }
  }

  async function act(action, ticket) {
    if (busy) return;
    if (action === "transfer" && ticket === undefined) { openTransfer(); return; }
    if (action === "resume" && !ticket) ticket = board.held[0];
    if (action === "requeue" && !ticket) ticket = board.no_shows[0];
    if ((action === "resume" || action === "requeue") && !ticket) return;
    const button = document.querySelector(`button[data-action="${action}"]`);
    if (button) { button.classList.remove("flash"); void button.offsetWidth; button.classList.add("flash"); }
    busy = true;
    renderState();
    try {
      const [url, body] = requestFor(action, ticket);
      const result = await post(url, body);
      const number = result && (result.number || (result.ticket && result.ticket.number));
      const label = T["act_" + action.replace("-", "_")] || action;
      say(`${label}${number ? " · " + number : ""} · ${T.done}`);
    } catch (err) {
      if (err.code === "E-AUTH-07") { location.reload(); return; }
      say(`${err.code || ""} ${ERRORS[err.code] || err.message}`.trim(), true);
    } finally {
      busy = false;
      renderState();
      await refresh();
    }
  }

  // --- transfer dialog ---------------------------------------------------------------------
  function openTransfer() {
    const cur = board.current;
    if (!cur) return;
    const dialog = $("transfer-dialog");
    const targets = board.transfer_targets.filter((s) => s.code !== cur.service);
    $("transfer-list").replaceChildren(
      ...targets.map((s, i) =>
        el("button", {
          class: "btn", type: "button", disabled: !s.open, "data-service": s.code,
          onclick: () => { dialog.close(); act("transfer", s.code); },
        }, el("span", {}, page.lang === "en" ? s.name_en : s.name), i < 9 ? el("kbd", {}, String(i + 1)) : null))
    );
    dialog.showModal();
  }

  // --- keyboard ----------------------------------------------------------------------------
  const KEYS = {};
  for (const b of document.querySelectorAll("button[data-action]")) KEYS[b.dataset.key.toLowerCase()] = b.dataset.action;

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    const dialog = $("transfer-dialog");
    if (dialog.open) {
      const n = Number(event.key);
      if (n >= 1 && n <= 9) {
        const buttons = dialog.querySelectorAll(".transfer-list button");
        if (buttons[n - 1] && !buttons[n - 1].disabled) { event.preventDefault(); buttons[n - 1].click(); }
      }
      return;
    }
    const target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT")) return;
    const action = KEYS[event.key.toLowerCase()];
    if (!action) return;
    const button = document.querySelector(`button[data-action="${action}"]`);
    event.preventDefault();
    if (button && !button.disabled) act(action);
  });

  for (const b of document.querySelectorAll("button[data-action]")) {
    b.addEventListener("click", () => act(b.dataset.action));
  }

  // --- live events -------------------------------------------------------------------------
  function listen() {
    const live = $("live");
    const source = new EventSource(`${api}/events`);
    source.addEventListener("open", () => {
      live.dataset.state = "open";
      $("live-text").textContent = T.live;
      scheduleRefresh(); // after a reconnect, read what happened meanwhile
    });
    source.addEventListener("ticket", scheduleRefresh);
    source.addEventListener("counter", scheduleRefresh);
    source.addEventListener("message", scheduleRefresh);
    source.addEventListener("error", () => {
      live.dataset.state = "error";
      $("live-text").textContent = T.offline;
    });
  }

  setBoard(board);
  listen();
  setInterval(() => { renderCurrent(); }, 1000); // the waited time ticks
  setInterval(refresh, 20000); // a safety net if an event was missed
})();
