// Agent ticket page: tell colleagues on the same ticket that we are viewing or replying, show who else
// is, and say when something new arrives, so two agents do not answer one customer twice.
(function () {
  "use strict";
  var STALE_MS = 45000;   // someone not heard from for this long has left
  var BEAT_MS = 20000;
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("collision-warning");
    if (!box || !window.Watchkeeper || !window.Watchkeeper.realtime) return;
    var rt = window.Watchkeeper.realtime();
    if (!rt) return;
    var ticket = box.dataset.ticket, me = box.dataset.agent;
    var staffGroup = "ticket-staff." + ticket;
    var others = {};   // agent id -> {name, state, seen}
    var state = "viewing";

    function render() {
      var now = Date.now(), lines = [];
      Object.keys(others).forEach(function (id) {
        var other = others[id];
        if (other.state === "left" || now - other.seen > STALE_MS) { delete others[id]; return; }
        lines.push((other.state === "replying" ? box.dataset.replying : box.dataset.viewing).replace("%(name)s", other.name));
      });
      var news = box.dataset.news === "1" ? [box.dataset.newMessage] : [];
      box.textContent = lines.concat(news).join(" ");
      box.hidden = box.textContent === "";
    }
    function send(value) {
      state = value;
      rt.send({ type: "activity", group: staffGroup, state: value });
    }
    rt.subscribe(staffGroup, function (event) {
      if (event.type !== "ticket.activity" || String(event.agent_id) === me) return;
      others[event.agent_id] = { name: event.agent_name, state: event.state, seen: Date.now() };
      render();
    });
    rt.subscribe("ticket." + ticket, function (event) {
      if (event.type === "ticket.message") { box.dataset.news = "1"; render(); }
    });
    rt.onStatus(function (online) { if (online) send(state); });
    var body = document.getElementById("reply-body");
    if (body) {
      body.addEventListener("input", function () { if (state !== "replying") send("replying"); });
      body.addEventListener("blur", function () { if (!body.value) send("viewing"); });
    }
    setInterval(function () { send(state); render(); }, BEAT_MS);
    window.addEventListener("pagehide", function () { send("left"); });
    send("viewing");
  });
})();
