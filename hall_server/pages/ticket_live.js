// The public ticket page (/t/{id}) updates itself: every event of the ticket's service
// (someone called, a ticket taken) re-reads the ticket; polling covers a lost stream.
"use strict";
(function () {
  const me = document.currentScript;
  const id = me.dataset.ticket, service = me.dataset.service;
  const POLL_MS = 15000, SOON_MS = 250;
  const TEXT = {
    waiting: ["等候中", "Waiting"],
    called: ["请到窗口办理", "Please go to the counter"],
    serving: ["正在办理", "Being served"],
    held: ["暂挂，请留意叫号", "On hold, listen for your number"],
    served: ["已办理", "Served"],
    no_show: ["已过号", "Missed (no show)"],
    cancelled: ["已取消", "Cancelled"],
    expired: ["已过期", "Expired"],
  };
  const OPEN = new Set(["waiting", "called", "serving", "held"]);
  const $ = (x) => document.getElementById(x);
  let timer = null, source = null;

  function where(t) {
    if (!t.counter) return "";
    const name = t.counter_name || (/^\d+$/.test(t.counter) ? t.counter + "号窗口" : t.counter);
    return " · " + name;
  }
  function show(t) {
    const [zh, en] = TEXT[t.status] || [t.status, t.status];
    $("status").textContent = zh;
    $("status-en").textContent = en;
    $("counter").textContent = ["called", "serving"].includes(t.status) ? where(t) : "";
    $("ahead").textContent = $("ahead-en").textContent = String(t.people_ahead);
    $("ahead-line").hidden = t.status !== "waiting";
    $("as-of").textContent = new Date().toLocaleTimeString("zh-CN", { hour12: false });
    document.body.dataset.status = t.status;
    if (!OPEN.has(t.status) && source) { source.close(); source = null; } // nothing more to see
  }
  async function load() {
    clearTimeout(timer);
    try {
      const resp = await fetch("/api/v1/queue/tickets/" + encodeURIComponent(id), { cache: "no-store" });
      if (resp.ok) show(await resp.json());
    } catch (e) { /* offline: keep what is shown, try again */ }
    timer = setTimeout(load, POLL_MS);
  }
  function soon() { clearTimeout(timer); timer = setTimeout(load, SOON_MS); }
  if (window.EventSource) {
    source = new EventSource("/api/v1/events?service=" + encodeURIComponent(service));
    source.addEventListener("ticket", soon);
    source.onopen = soon; // after a reconnect, read the ticket again
  }
  load();
})();
