// The hall call display: live calls from the event stream, spoken one at a time.
// Never goes blank: on any failure the last good data stays and 连接中断 shows in a corner
// until the stream is back (EventSource resumes with Last-Event-ID by itself; after a hard
// failure the stream is opened again with the last id we saw).
"use strict";
(function () {
  const cfg = JSON.parse(document.getElementById("config").textContent);
  let state = JSON.parse(document.getElementById("state").textContent);
  const $ = (id) => document.getElementById(id);
  const RETRY_MS = 2000, REFRESH_MS = 10000, GAP_MS = 700, PLAY_LIMIT_MS = 20000;
  const STALE_MS = 60000; // a call this old when it arrives (replayed after an outage) is not spoken
  let clockOffset = state.now ? Date.parse(state.now) - Date.now() : 0; // server minus this TV
  // what was shown and spoken, for whoever checks the display (the browser tests)
  const log = (window.displayLog = { calls: [], played: [], opened: 0, errors: 0 });
  let lastId = null, source = null, retryTimer = null, refreshTimer = null, connected = false;

  function query(extra) {
    const p = new URLSearchParams();
    if (cfg.area) p.set("area", cfg.area);
    if (cfg.counters) p.set("counters", cfg.counters);
    for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
    const s = p.toString();
    return s ? "?" + s : "";
  }
  function inScope(counter) {
    const list = state.scope && state.scope.counters;
    return list == null || list.indexOf(counter) >= 0;
  }
  function where(call) {
    return call.counter_name || (/^\d+$/.test(call.counter) ? call.counter + "号窗口" : call.counter);
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // --- rendering (textContent only: numbers and names never become markup) -------------
  function renderLatest(flash) {
    const call = state.calls[0];
    $("latest-number").textContent = call ? call.number : "";
    $("latest-where").textContent = call ? where(call) : "";
    $("latest").classList.toggle("empty", !call);
    $("latest-hint").textContent = call ? "到窗口办理 · Please go to the counter" : "暂无叫号 · No calls yet";
    if (flash) {
      const box = $("latest");
      box.classList.remove("flash");
      void box.offsetWidth; // restart the animation
      box.classList.add("flash");
    }
  }
  function renderRecent(flashFirst) {
    const list = $("recent");
    list.replaceChildren();
    state.calls.slice(1, cfg.recent + 1).forEach((call, i) => {
      const li = el("li", flashFirst && i === 0 ? "new" : "");
      li.append(el("span", "number", call.number), el("span", "where", where(call)));
      list.append(li);
    });
  }
  function renderServices() {
    const list = $("services");
    list.replaceChildren();
    for (const s of state.services || []) {
      const li = el("li", s.open ? "" : "closed");
      li.append(el("span", "name", s.name), el("span", "count", String(s.waiting)));
      list.append(li);
    }
    fitWaiting();
  }

  // --- the waiting panel: every service shown. The rows shrink to fit (down to FIT_MIN of
  // the CSS size); if even that clips, whole rows rotate page by page every PAGE_MS.
  const FIT_MIN = 0.6, PAGE_MS = 6000;
  let pageTimer = null;
  function overflows(list) { return list.scrollHeight > list.clientHeight + 1; }
  function fitWaiting() {
    const list = $("services");
    const at = list.scrollTop;
    list.style.fontSize = "";
    const base = parseFloat(getComputedStyle(list).fontSize);
    let scale = 1;
    while (overflows(list) && scale > FIT_MIN) {
      scale = Math.max(FIT_MIN, scale - 0.05);
      list.style.fontSize = base * scale + "px";
    }
    const paged = overflows(list);
    list.classList.toggle("paged", paged);
    list.scrollTop = paged ? at : 0;
    log.waiting = { scale: Math.round(scale * 100) / 100, paged: paged };
    if (paged && !pageTimer) pageTimer = setInterval(nextPage, PAGE_MS);
    if (!paged && pageTimer) { clearInterval(pageTimer); pageTimer = null; }
  }
  function nextPage() { // the first row not wholly shown starts the next page; then round again
    const list = $("services");
    let next = 0;
    for (const li of list.children) {
      if (li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight + 1) { next = li.offsetTop; break; }
    }
    list.scrollTop = next;
  }
  function renderMessage() {
    const msg = state.scope && state.scope.message;
    $("message").hidden = !msg;
    $("message").textContent = msg || "";
  }
  function setConnected(ok) {
    connected = ok;
    $("offline").hidden = ok;
    document.body.dataset.connected = ok ? "yes" : "no";
  }

  // --- clock ----------------------------------------------------------------------------
  const timeFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: cfg.zone, hour: "2-digit",
    minute: "2-digit", second: "2-digit", hour12: false });
  const dateFmt = new Intl.DateTimeFormat("zh-CN", { timeZone: cfg.zone, month: "long",
    day: "numeric", weekday: "short" });
  function tick() {
    const now = new Date();
    $("time").textContent = timeFmt.format(now);
    $("date").textContent = dateFmt.format(now);
  }

  // --- voice: one announcement at a time, each repeated cfg.repeats times ----------------
  const voiceQueue = [];
  let speaking = false;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  function playOnce(url) {
    return new Promise((resolve) => {
      const audio = new Audio(url);
      const entry = { url: url, start: performance.now(), end: null, ok: false };
      const done = () => {
        clearTimeout(limit);
        if (entry.end === null) { entry.end = performance.now(); log.played.push(entry); }
        resolve();
      };
      const limit = setTimeout(done, PLAY_LIMIT_MS);
      audio.onended = () => { entry.ok = true; done(); };
      audio.onerror = done;
      audio.play().catch(done); // refused autoplay: the call stays on screen
    });
  }
  async function speak() {
    if (speaking) return;
    speaking = true;
    while (voiceQueue.length) {
      const url = voiceQueue.shift();
      for (let i = 0; i < cfg.repeats; i++) {
        await playOnce(url);
        await sleep(GAP_MS);
      }
    }
    speaking = false;
  }
  function announce(url) {
    if (!url || cfg.repeats < 1) return;
    voiceQueue.push(url);
    speak();
  }

  // --- live data --------------------------------------------------------------------------
  function onCall(ev) {
    const call = {
      id: ev.id, number: ev.number, counter: ev.counter, counter_name: ev.counter_name || null,
      service: ev.service, at: ev.at, audio_url: ev.audio_url || null,
    };
    // a recall or a re-delivered event moves the call to the top instead of duplicating it
    state.calls = [call].concat(state.calls.filter(
      (c) => !(c.number === call.number && c.counter === call.counter)));
    state.calls.length = Math.min(state.calls.length, cfg.recent + 1);
    log.calls.push({ number: call.number, counter: call.counter, at: Date.now() });
    renderLatest(true);
    renderRecent(true);
    const age = call.at ? Date.now() + clockOffset - Date.parse(call.at) : 0;
    if (!(age > STALE_MS)) announce(call.audio_url);
  }
  function onTicket(msg) {
    if (msg.lastEventId) lastId = msg.lastEventId;
    let ev;
    try { ev = JSON.parse(msg.data); } catch (e) { return; }
    if (ev.to === "called" && inScope(ev.counter)) onCall(ev);
    scheduleRefresh(300); // waiting counts changed somewhere
  }
  function openStream() {
    clearTimeout(retryTimer);
    if (source) source.close();
    const extra = {};
    if (lastId) extra.last_event_id = lastId; // EventSource cannot set the header on a new object
    const p = new URLSearchParams(extra);
    if (cfg.area) p.set("area", cfg.area);
    const qs = p.toString();
    source = new EventSource("/api/v1/events" + (qs ? "?" + qs : ""));
    source.addEventListener("ticket", onTicket);
    source.onopen = () => { log.opened++; setConnected(true); refresh(); };
    source.onerror = () => {
      log.errors++;
      setConnected(false);
      if (source.readyState === EventSource.CLOSED) { // hard failure: the browser gave up
        retryTimer = setTimeout(openStream, RETRY_MS);
      }
    };
  }

  // The state (recent calls, waiting counts) is fetched on every (re)connection and every
  // few seconds; a failed fetch keeps the last good data and marks the display offline.
  let refreshing = false;
  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    try {
      const resp = await fetch("/api/v1/display/state" + query(), { cache: "no-store" });
      if (!resp.ok) throw new Error("state " + resp.status);
      const fresh = await resp.json();
      if (fresh.now) clockOffset = Date.parse(fresh.now) - Date.now();
      const top = state.calls[0], newTop = fresh.calls[0];
      const changed = newTop && (!top || top.number !== newTop.number || top.counter !== newTop.counter);
      state.services = fresh.services;
      state.scope = fresh.scope;
      // calls made while we were away (caught up without their voice: they are old news)
      if (changed && !state.calls.some((c) => c.number === newTop.number && c.counter === newTop.counter)) {
        state.calls = fresh.calls;
        renderLatest(true);
        renderRecent(false);
      }
      renderServices();
      renderMessage();
      if (source && source.readyState === EventSource.OPEN) setConnected(true);
    } catch (e) {
      setConnected(false);
      if (!source || source.readyState === EventSource.CLOSED) openStreamSoon();
    } finally {
      refreshing = false;
    }
  }
  function openStreamSoon() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(openStream, RETRY_MS);
  }
  function scheduleRefresh(ms) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, ms);
  }

  tick();
  setInterval(tick, 1000);
  setInterval(() => { refresh(); if (!connected && source && source.readyState !== EventSource.OPEN) openStreamSoon(); }, REFRESH_MS);
  renderLatest(false);
  renderRecent(false);
  renderServices();
  renderMessage();
  window.addEventListener("resize", fitWaiting);
  document.body.dataset.connected = "starting";
  openStream();
})();
