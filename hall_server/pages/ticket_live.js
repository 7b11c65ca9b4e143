// The public ticket page (/t/{id}) updates itself: every event of the ticket's service
// (someone called, a ticket taken) re-reads the ticket; polling covers a lost stream.
// Include it on the page with <script src="/live/ticket.js"></script>; it finds the ticket id
// in a data-ticket attribute (on the script or on #ticket) and fills whichever of these the
// page has: #status or #state, #status-en, #counter, #ahead, #ahead-en, #ahead-line or
// .ahead-row, #estimate, #as-of.
"use strict";
(function () {
  const me = document.currentScript;
  const holder = document.querySelector("[data-ticket]");
  const id = (me && me.dataset.ticket) || (holder && holder.dataset.ticket);
  if (!id) return;
  const POLL_MS = 15000, SOON_MS = 250;
  const en = (document.documentElement.lang || "").startsWith("en");
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
  const set = (el, text) => { // into the innermost single child: <span id=x><b>1</b></span>
    if (!el) return;
    while (el.childNodes.length === 1 && el.firstElementChild) el = el.firstElementChild;
    el.textContent = text;
  };
  let timer = null, source = null;

  function where(t) {
    if (!t.counter || !["called", "serving"].includes(t.status)) return "";
    if (t.counter_name) return " · " + t.counter_name;
    return /^\d+$/.test(t.counter) ? (en ? " · Counter " + t.counter : " · " + t.counter + "号窗口")
                                   : " · " + t.counter;
  }
  function show(t) {
    const [zh, english] = TEXT[t.status] || [t.status, t.status];
    set($("status") || $("state"), en ? english : zh);
    set($("status-en"), english);
    set($("counter"), where(t));
    set($("ahead"), String(t.people_ahead));
    set($("ahead-en"), String(t.people_ahead));
    const m = t.estimated_wait_min; // the server's estimate; null: no basis yet
    set($("estimate"), m === null || m === undefined
      ? (en ? "No wait estimate yet" : "暂无等候时间估计")
      : (en ? "About " + m + " min wait" : "预计等候约 " + m + " 分钟"));
    const line = $("ahead-line") || document.querySelector(".ahead-row");
    if (line) line.hidden = t.status !== "waiting";
    set($("as-of"), new Date().toLocaleTimeString("zh-CN", { hour12: false }));
    document.body.dataset.status = t.status;
    if (!OPEN.has(t.status) && source) { source.close(); source = null; } // nothing more to see
    if (OPEN.has(t.status) && !source && window.EventSource) listen(t.service);
  }
  function listen(service) {
    source = new EventSource("/api/v1/events?service=" + encodeURIComponent(service));
    source.addEventListener("ticket", soon);
    source.onopen = soon; // after a reconnect, read the ticket again
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
  load();
})();
