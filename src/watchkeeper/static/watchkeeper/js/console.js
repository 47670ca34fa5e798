/* Agent console shell: live status, presence and events for the agent and their team queues. */
(function () {
  "use strict";
  const layout = document.querySelector(".console-layout");
  const rt = window.Watchkeeper && window.Watchkeeper.realtime();
  if (!layout || !rt) return;
  const text = JSON.parse(document.getElementById("console-i18n").textContent);
  const status = document.querySelector("[data-realtime-status]");
  const log = document.querySelector("[data-event-log]");

  rt.onStatus((online) => {
    status.textContent = online ? text.online : text.offline;
    status.classList.toggle("is-online", online);
  });

  function show(event) {
    const item = document.createElement("li");
    item.textContent = new Date(event.at).toLocaleTimeString() + " " + event.type +
      (event.presence ? " · " + event.presence : "") + (event.title ? " · " + event.title : "");
    log.prepend(item);
    while (log.children.length > 50) log.lastChild.remove();
  }

  rt.subscribe("agent." + layout.dataset.agentId, show);
  rt.subscribe("user." + layout.dataset.agentId, show);
  (layout.dataset.teams || "").split(",").filter(Boolean).forEach((team) => rt.subscribe("queue." + team, show));
})();
