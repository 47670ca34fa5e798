/* The chat inside the widget's frame (chat/embed.html), talking to the loader on the exchange's page
 * (chat/widget.js) with postMessage:
 *   frame -> page  {type: "watchkeeper:ready"}   asks for the exchange's identity token
 *   page -> frame  {type: "watchkeeper:identify", token: "..." | null}   null: nobody signed in there
 *   frame -> page  {type: "watchkeeper:close"}   the frame's own close button (phones: full screen)
 * Messages are taken only from the parent window and only from the origins the operator named
 * (CHAT_WIDGET_ORIGINS); the token goes to the server, which alone decides whether it is genuine.
 */
(function () {
  "use strict";
  var body = document.body;
  var framed = window.parent !== window;
  // The operator's origins, and Watchkeeper's own (a page of this site may embed the widget too).
  var origins = JSON.parse(document.getElementById("chat-parent-origins").textContent).concat([window.location.origin]);
  var statusBox = document.getElementById("chat-identify-status");
  var errorBox = document.getElementById("chat-identify-error");
  var sentToken = null;

  function settle(message) {
    if (statusBox) statusBox.hidden = true;
    if (message && errorBox) { errorBox.textContent = message; errorBox.hidden = false; }
  }

  // token: the exchange's signed identity, or "" when its page says nobody is signed in there.
  function identify(token) {
    if (token === sentToken) return;
    sentToken = token;
    var form = new URLSearchParams();
    form.set("token", token);
    fetch(token ? body.dataset.identifyUrl : body.dataset.forgetUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": body.dataset.csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: form.toString()
    }).then(function (response) {
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      if (!result.ok) { settle(result.answer.error); return; }
      if (result.answer.changed) window.location.reload();
      else settle(null);
    }).catch(function () { settle(null); sentToken = null; });
  }

  if (framed) {
    var close = document.getElementById("chat-embed-close");
    close.hidden = false;
    close.addEventListener("click", function () {
      origins.forEach(function (origin) { window.parent.postMessage({ type: "watchkeeper:close" }, origin); });
    });
    window.addEventListener("message", function (event) {
      if (event.source !== window.parent || origins.indexOf(event.origin) < 0) return;
      var data = event.data;
      if (!data || data.type !== "watchkeeper:identify") return;
      if (typeof data.token === "string" && data.token && body.dataset.identities) identify(data.token);
      else if (!data.token && body.dataset.known) identify("");
      else settle(null);
    });
    origins.forEach(function (origin) { window.parent.postMessage({ type: "watchkeeper:ready" }, origin); });
  }
  // Nobody answered with a token (not framed, or the page has none): stop saying we are checking.
  setTimeout(function () { if (sentToken === null) settle(null); }, framed ? 4000 : 0);
})();
