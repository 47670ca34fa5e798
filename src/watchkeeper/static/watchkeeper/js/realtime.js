/* Watchkeeper real-time client.
 *
 *   const rt = Watchkeeper.realtime();            // one socket per page, shared
 *   rt.subscribe("user.7", (event) => { ... });   // events of that group, in id order, no duplicates
 *   rt.onStatus((online) => { ... });
 *
 * The socket reconnects with backoff; on reconnect it re-subscribes every group with the last event id
 * it saw, and the server sends what was missed from the database.
 */
(function () {
  "use strict";
  let shared = null;

  function createClient(url) {
    const handlers = new Map();   // group -> Set of callbacks
    const lastIds = new Map();    // group -> last event id seen
    const statusHandlers = new Set();
    let socket = null;
    let attempt = 0;
    let pingTimer = null;
    let closedByPage = false;

    function setStatus(online) { statusHandlers.forEach((fn) => fn(online)); }

    function send(message) {
      if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    }

    function sendSubscribe(group) {
      send({ type: "subscribe", group: group, last_id: lastIds.get(group) || 0 });
    }

    function dispatch(message) {
      if (message.type !== "event") return;
      const id = message.event.id;
      if (typeof id === "number") {
        const last = lastIds.get(message.group) || 0;
        if (id <= last) return;           // replay overlap or a resend: already handled
        lastIds.set(message.group, id);
      }
      (handlers.get(message.group) || []).forEach((fn) => fn(message.event));
    }

    function connect() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + url);
      socket.addEventListener("open", () => {
        attempt = 0;
        setStatus(true);
        handlers.forEach((_, group) => sendSubscribe(group));
        pingTimer = setInterval(() => send({ type: "ping" }), 30000);
      });
      socket.addEventListener("message", (raw) => {
        let message;
        try { message = JSON.parse(raw.data); } catch (e) { return; }
        dispatch(message);
      });
      socket.addEventListener("close", (event) => {
        clearInterval(pingTimer);
        setStatus(false);
        if (closedByPage || event.code === 4401) return;   // 4401: not logged in, retrying won't help
        attempt += 1;
        const delay = Math.min(30000, 500 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
        setTimeout(connect, delay);
      });
    }

    window.addEventListener("pagehide", () => { closedByPage = true; if (socket) socket.close(); });
    connect();

    return {
      subscribe(group, callback) {
        if (!handlers.has(group)) { handlers.set(group, new Set()); sendSubscribe(group); }
        handlers.get(group).add(callback);
      },
      unsubscribe(group) { handlers.delete(group); send({ type: "unsubscribe", group: group }); },
      onStatus(callback) { statusHandlers.add(callback); },
      send(message) { send(message); },
      lastId(group) { return lastIds.get(group) || 0; },
    };
  }

  window.Watchkeeper = window.Watchkeeper || {};
  window.Watchkeeper.realtime = function () {
    const url = document.body.dataset.realtimeUrl;
    if (!url) return null;
    if (!shared) shared = createClient(url);
    return shared;
  };
})();
