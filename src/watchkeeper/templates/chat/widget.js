/* Watchkeeper chat widget loader. On the exchange's page:
 *   <script src="https://SUPPORT-HOST/chat/widget.js" data-token="JWT from your back end" async></script>
 * Optional: data-language="ja" (else the page's lang, else the browser's). Single-page apps call
 * window.watchkeeperChat.identify(token) after sign-in, and .open() / .close(). See docs/chat-widget.md.
 *
 * A button opens the chat in a frame served by Watchkeeper (its own origin: the page cannot read the
 * conversation, the conversation cannot read the page). Styles live in a shadow root so the page's CSS
 * and ours do not touch. The token is handed to the frame by postMessage, never put in a URL.
 */
(function () {
  "use strict";
  if (window.watchkeeperChat && window.watchkeeperChat.version) return;
  var config = {{ config|safe }};
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var token = script.getAttribute("data-token") || null;

  function pickLanguage(wanted) {
    var code = String(wanted || "").toLowerCase().replace("_", "-");
    if (config.paths[code]) return code;
    if (code.indexOf("zh") === 0) return /hant|tw|hk|mo/.test(code) ? "zh-hant" : "zh-hans";
    var base = code.split("-")[0];
    return config.paths[base] ? base : config["default"];
  }
  var language = pickLanguage(script.getAttribute("data-language") || document.documentElement.lang || navigator.language);
  var labels = config.labels[language];

  var host = document.createElement("div");
  host.setAttribute("data-watchkeeper-chat", "");
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent =
    ":host{all:initial}" +
    ".open{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;" +
    "padding:14px 20px;background:#1a56db;color:#fff;font:600 15px/1.2 system-ui,sans-serif;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25);cursor:pointer}" +
    ".open:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}" +
    "iframe{position:fixed;right:20px;bottom:84px;z-index:2147483001;width:380px;height:600px;" +
    "max-height:calc(100vh - 104px);border:0;border-radius:12px;background:#fff;" +
    "box-shadow:0 8px 30px rgba(0,0,0,.3)}" +
    "@media (max-width:480px){iframe{right:0;bottom:0;width:100vw;height:100%;max-height:none;border-radius:0}}";
  var button = document.createElement("button");
  button.type = "button";
  button.className = "open";
  button.textContent = labels.open;
  button.setAttribute("aria-expanded", "false");
  root.appendChild(style);
  root.appendChild(button);
  var frame = null;

  function sendToken() {
    if (frame && frame.contentWindow) {
      frame.contentWindow.postMessage({ type: "watchkeeper:identify", token: token }, origin);
    }
  }

  function open() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = origin + config.paths[language];
      frame.title = labels.open;
      frame.setAttribute("allow", "clipboard-write");
      root.appendChild(frame);
    }
    frame.hidden = false;
    button.textContent = labels.close;
    button.setAttribute("aria-expanded", "true");
  }

  function close() {
    if (frame) frame.hidden = true;
    button.textContent = labels.open;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  button.addEventListener("click", function () {
    if (frame && !frame.hidden) close(); else open();
  });
  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    var kind = event.data && event.data.type;
    if (kind === "watchkeeper:ready") sendToken();
    else if (kind === "watchkeeper:close") close();
  });

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.watchkeeperChat = {
    version: 1,
    open: open,
    close: close,
    identify: function (newToken) { token = newToken || null; sendToken(); }
  };
})();
