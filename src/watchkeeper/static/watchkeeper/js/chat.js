/* Watchkeeper live chat: the customer's full-page chat and the agents' chat console.
 *
 * Both talk through /ws/chat/ (see chat/consumers.py for the protocol). The socket client works as
 * realtime.js does: it reconnects with backoff and re-subscribes every group with the last event id it
 * saw, so the server sends what was missed. Chat messages are kept until the server acknowledges them
 * and are resent after a reconnect with the same client_id (the server keeps one copy).
 *
 * Events name a message by id; its text comes from the chat's JSON message list (chat/views.py), read
 * after the last message shown. Everything people typed is put in the page with textContent.
 */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return values[key] === undefined ? "" : String(values[key]);
    });
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return "c" + Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ the socket

  function chatSocket(onReply, onStatus) {
    var lastIds = new Map();     // group -> last event id seen
    var groups = new Set();      // groups to (re)subscribe
    var pending = new Map();     // client_id -> command not yet acknowledged
    var outbox = [];             // commands given while the socket was down: sent once it is up
    var socket = null, attempt = 0, pingTimer = null, closedByPage = false;

    function isOpen() { return socket && socket.readyState === WebSocket.OPEN; }
    function raw(message) { if (isOpen()) socket.send(JSON.stringify(message)); }
    function subscribeNow(group) { raw({ type: "subscribe", group: group, last_id: lastIds.get(group) || 0 }); }

    function handle(message) {
      if (message.type === "event") {
        var id = message.event.id;
        if (typeof id === "number") {
          if (id <= (lastIds.get(message.group) || 0)) return;   // replay overlap: already handled
          lastIds.set(message.group, id);
        }
      } else if (message.type === "ack" && message.client_id) {
        pending.delete(message.client_id);
      } else if (message.type === "error" && message.client_id && pending.has(message.client_id)) {
        if (message.code === "busy" || message.code === "unavailable") {
          var again = pending.get(message.client_id);
          setTimeout(function () { if (pending.has(again.client_id)) raw(again); }, 1500);
        } else {
          pending.delete(message.client_id);
        }
      }
      onReply(message);
    }

    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + "/ws/chat/");
      socket.addEventListener("open", function () {
        attempt = 0;
        onStatus(true);
        groups.forEach(subscribeNow);
        pending.forEach(function (command) { raw(command); });   // same client_id: stored once
        outbox.splice(0).forEach(raw);
        pingTimer = setInterval(function () { raw({ type: "ping" }); }, 30000);
      });
      socket.addEventListener("message", function (event) {
        var message;
        try { message = JSON.parse(event.data); } catch (e) { return; }
        handle(message);
      });
      socket.addEventListener("close", function (event) {
        clearInterval(pingTimer);
        onStatus(false);
        if (closedByPage || event.code === 4401) return;   // 4401: not logged in, retrying won't help
        attempt += 1;
        var delay = Math.min(30000, 500 * Math.pow(2, Math.min(attempt, 6))) * (0.5 + Math.random() / 2);
        setTimeout(connect, delay);
      });
    }

    window.addEventListener("pagehide", function () { closedByPage = true; if (socket) socket.close(); });
    connect();

    return {
      subscribe: function (group) { if (!groups.has(group)) { groups.add(group); subscribeNow(group); } },
      unsubscribe: function (group) { groups.delete(group); raw({ type: "unsubscribe", group: group }); },
      // Typing and read receipts are hints about this moment: dropped while offline, not queued.
      send: function (command) {
        if (isOpen() || command.type === "typing" || command.type === "read") raw(command);
        else outbox.push(command);
      },
      sendKept: function (command) { pending.set(command.client_id, command); raw(command); },
      isPending: function (clientId) { return pending.has(clientId); },
      isOpen: isOpen,
    };
  }

  // ------------------------------------------------------------------ a chat's transcript

  // The messages of one chat in a list element; fetches what follows the last one shown, one fetch at a
  // time (a request while one runs is remembered and run after it).
  function transcript(list, messagesUrl, ticketId, strings, options) {
    var shown = new Map();      // message id -> element
    var local = new Map();      // client_id -> element shown before the server stored it
    var lastId = 0, running = false, again = false;
    var url = messagesUrl.replace(/0\/$/, ticketId + "/");

    function bodyText(message) {
      if (message.side !== "bot") return message.body;
      // The bot writes Markdown; its links are listed below the text, so keep only their titles here.
      return message.body.replace(/\*\*/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").trim();
    }

    function render(message) {
      var item = element("li", "chat-line chat-" + message.side + (message.kind === "note" ? " chat-note" : ""));
      item.dataset.id = message.id;
      if (message.side === "event") {
        item.textContent = message.body;
        return item;
      }
      var who = element("p", "chat-who");
      if (message.side === "customer") {
        who.textContent = options.customerName ? (message.author || strings.customer) : strings.you;
      } else if (message.side === "bot") {
        who.textContent = strings.assistant;
      } else {
        who.textContent = message.author || "";
        if (options.customerName) {
          if (message.author && options.me && message.author === options.me) who.textContent = strings.you;
        }
        who.appendChild(document.createTextNode(" "));
        who.appendChild(element("span", "badge badge-staff", strings.staff_badge));
      }
      if (message.kind === "note") {
        who.appendChild(document.createTextNode(" "));
        who.appendChild(element("span", "badge badge-note", strings.note));
      }
      item.appendChild(who);
      if (message.body) item.appendChild(element("p", "chat-body", bodyText(message)));
      if (message.attachments && message.attachments.length) item.appendChild(fileList(message.attachments));
      if (message.articles && message.articles.length) {
        var links = element("ul", "chat-articles");
        message.articles.forEach(function (article) {
          var entry = element("li");
          var link = element("a", "", article.title);
          link.href = article.url;          // the server only lists addresses on this site
          link.target = "_blank";
          link.rel = "noopener";
          entry.appendChild(link);
          if (options.onVote) entry.appendChild(voteButtons(article.id));
          links.appendChild(entry);
        });
        item.appendChild(links);
      }
      return item;
    }

    // Images inline (the server names the kind from the bytes), other files as links; every address is
    // the ticket's own download view, which checks access again.
    function fileList(files) {
      var list = element("ul", "chat-files");
      files.forEach(function (file) {
        var entry = element("li");
        var link = element("a");
        link.href = file.url;
        link.target = "_blank";
        link.rel = "noopener";
        if (file.kind === "image" && file.content_type !== "application/octet-stream") {
          var image = element("img", "chat-image");
          image.src = file.url;
          image.alt = file.name;
          image.loading = "lazy";
          link.appendChild(image);
        } else {
          link.textContent = file.name + " (" + file.size + ")";
        }
        entry.appendChild(link);
        list.appendChild(entry);
      });
      return list;
    }

    function voteButtons(articleId) {
      var box = element("span", "chat-vote");
      box.appendChild(element("span", "", strings.helpful + " "));
      [[true, strings.yes], [false, strings.no]].forEach(function (pair) {
        var button = element("button", "link-button", pair[1]);
        button.type = "button";
        button.addEventListener("click", function () {
          options.onVote(articleId, pair[0]);
          box.textContent = strings.vote_thanks;
        });
        box.appendChild(button);
      });
      return box;
    }

    function place(message) {
      if (shown.has(message.id)) return;
      var item = render(message);
      var mine = message.client_id && local.get(message.client_id);
      if (mine) {
        list.replaceChild(item, mine);
        local.delete(message.client_id);
      } else {
        list.appendChild(item);
      }
      shown.set(message.id, item);
      lastId = Math.max(lastId, message.id);
      if (options.onMessage) options.onMessage(message);
    }

    function fetchNew() {
      if (running) { again = true; return; }
      running = true;
      fetch(url + "?after=" + lastId, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { messages: [] }; })
        .then(function (data) {
          data.messages.forEach(place);
          list.scrollTop = list.scrollHeight;
          if (options.onFetched) options.onFetched(lastId);
          if (data.messages.length >= 200) again = true;
        })
        .then(function () {
          running = false;
          if (again) { again = false; fetchNew(); }
        }, function () {
          running = false;
          again = false;
          setTimeout(fetchNew, 3000);   // offline or server down: try again shortly
        });
    }

    return {
      fetchNew: fetchNew,
      showLocal: function (clientId, text, note) {
        var item = render({ id: 0, side: options.customerName ? "agent" : "customer", kind: note ? "note" : "public",
          author: options.me || "", body: text, articles: [] });
        item.classList.add("chat-pending");
        item.appendChild(element("p", "chat-sending", strings.sending));
        local.set(clientId, item);
        list.appendChild(item);
        list.scrollTop = list.scrollHeight;
      },
      lastId: function () { return lastId; },
    };
  }

  function typingIndicator(box, strings) {
    var timer = null;
    return function (event) {
      clearTimeout(timer);
      if (!event.typing) { box.hidden = true; return; }
      box.textContent = format(strings.typing, { name: event.name });
      box.hidden = false;
      timer = setTimeout(function () { box.hidden = true; }, 6000);   // no repeat: they stopped
    };
  }

  function typingSender(textarea, send) {
    var last = 0;
    textarea.addEventListener("input", function () {
      var now = Date.now();
      if (now - last > 2000) { last = now; send(true); }
    });
    return function () { last = 0; send(false); };
  }

  // ------------------------------------------------------------------ the customer's page

  // Files go over HTTP (chat/views.py chat_upload): the socket carries small JSON commands. The stored
  // message then arrives as any other, through ticket.message.
  function fileSender(form, uploadUrl, strings, ticketOf, showError) {
    var input = form.querySelector("input[type=file]");
    var status = form.querySelector(".chat-upload-status");
    input.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(input.files || []);
      input.value = "";
      if (!chosen.length) return;
      var ticket = ticketOf();
      if (!ticket) { showError(strings.attach_first); return; }
      var data = new FormData();
      chosen.forEach(function (file) { data.append("files", file); });
      data.append("client_id", newId());
      data.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
      showError("");
      status.textContent = format(strings.uploading, { name: chosen.map(function (file) { return file.name; }).join(", ") });
      status.hidden = false;
      fetch(uploadUrl.replace(/0\/$/, ticket + "/"), {
        method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      }).catch(function () {
        return { ok: false, answer: {} };
      }).then(function (result) {
        status.hidden = true;
        if (!result.ok) showError(result.answer.error || strings.upload_failed);
      });
    });
  }

  function customerChat(root) {
    var strings = JSON.parse(document.getElementById("chat-strings").textContent);
    var log = document.getElementById("chat-log");
    var form = document.getElementById("chat-compose");
    var textarea = document.getElementById("chat-text");
    var queueBox = document.getElementById("chat-queue");
    var errorBox = document.getElementById("chat-error");
    var rating = document.getElementById("chat-rating");
    var ended = document.getElementById("chat-ended");
    var connection = document.getElementById("chat-connection");
    var sessionId = root.dataset.session ? Number(root.dataset.session) : null;
    var ticketId = root.dataset.ticket ? Number(root.dataset.ticket) : null;
    var startId = null;     // client_id of the message that starts the chat
    var thread = null;
    var showTyping = typingIndicator(document.getElementById("chat-typing"), strings);

    function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }

    function showQueue(position, wait) {
      if (position === null || position === undefined) { queueBox.hidden = true; return; }
      var text = format(strings.queue, { position: position }) + " ";
      if (wait === null || wait === undefined) text += strings.wait_unknown;
      else if (wait <= 30) text += strings.wait_now;
      else text += format(strings.wait, { minutes: Math.max(1, Math.round(wait / 60)) });
      queueBox.textContent = text;
      queueBox.hidden = false;
    }

    function showState(state, agentName, rated) {
      if (state === "active" && agentName) {
        queueBox.textContent = format(strings.with_agent, { name: agentName });
        queueBox.hidden = false;
      } else if (state !== "queued" && state !== "offered") {
        queueBox.hidden = true;
      }
      var over = state === "ended" || state === "left_message";
      form.hidden = over;
      ended.hidden = !over;
      rating.hidden = !(state === "ended" && !rated);
    }

    function vote(articleId, helpful) {
      if (sessionId) socket.send({ type: "rate_bot", session_id: sessionId, article_id: articleId, helpful: helpful });
    }

    function openChat(session, ticket) {
      sessionId = session;
      ticketId = ticket;
      if (!thread) {
        dropEarlyBubbles();
        thread = transcript(log, root.dataset.messagesUrl, ticketId, strings, {
          onVote: vote,
          onFetched: function (last) {
            if (last && document.visibilityState === "visible") socket.send({ type: "read", session_id: sessionId, message_id: last });
          },
        });
        pendingLocal.forEach(function (entry) { thread.showLocal(entry[0], entry[1]); });
        pendingLocal = [];
      }
      socket.subscribe("ticket." + ticketId);
      thread.fetchNew();
    }

    var pendingLocal = [];   // messages shown before the chat exists
    function showLocal(clientId, text) {
      if (thread) thread.showLocal(clientId, text);
      else {
        pendingLocal.push([clientId, text]);
        var item = element("li", "chat-line chat-customer chat-pending");
        item.dataset.client = clientId;
        item.appendChild(element("p", "chat-who", strings.you));
        item.appendChild(element("p", "chat-body", text));
        item.appendChild(element("p", "chat-sending", strings.sending));
        log.appendChild(item);
      }
    }

    function dropEarlyBubbles() {
      log.querySelectorAll("li[data-client]").forEach(function (item) { item.remove(); });
    }

    var socket = chatSocket(function (message) {
      if (message.type === "ack") {
        if (!sessionId && message.session_id) {
          openChat(message.session_id, message.ticket_id);
        } else if (thread) thread.fetchNew();
      } else if (message.type === "done") {
        if (message.command === "start_chat" && !sessionId) openChat(message.session_id, message.ticket_id);
        if (message.command === "rate") { rating.hidden = true; document.getElementById("chat-ended-text").textContent = strings.rated; }
      } else if (message.type === "chat_snapshot") {
        if (!sessionId) openChat(message.session_id, message.ticket_id);
        showQueue(message.position, message.estimated_wait_seconds);
        showState(message.state, message.agent_name, message.rating !== null);
        if (thread) thread.fetchNew();
      } else if (message.type === "error") {
        showError(message.message);
      } else if (message.type === "event") {
        var event = message.event;
        if (!sessionId && event.session_id && event.ticket_id) openChat(event.session_id, event.ticket_id);
        if (event.type === "ticket.message" && thread) thread.fetchNew();
        else if (event.type === "chat.queue") showQueue(event.position, event.estimated_wait_seconds);
        else if (event.type === "chat.state") showState(event.state, event.agent_name, false);
        else if (event.type === "chat.typing" && event.side === "agent") showTyping(event);
      }
    }, function (online) {
      connection.hidden = online;
    });

    if (sessionId && ticketId) openChat(sessionId, ticketId);
    fileSender(form, root.dataset.uploadUrl, strings, function () { return ticketId; }, showError);

    var stopTyping = typingSender(textarea, function (typing) {
      if (sessionId) socket.send({ type: "typing", session_id: sessionId, typing: typing });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = textarea.value.trim();
      if (!text) return;
      showError("");
      var clientId = newId();
      if (sessionId) {
        socket.sendKept({ type: "message", session_id: sessionId, text: text, client_id: clientId });
      } else {
        if (startId && socket.isPending(startId)) return;   // the first message is still on its way
        startId = clientId;
        socket.sendKept({ type: "start_chat", text: text, client_id: clientId, language: "",
          context_url: root.dataset.contextUrl || "" });
      }
      showLocal(clientId, text);
      textarea.value = "";
      stopTyping();
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
    });

    document.getElementById("chat-human").addEventListener("click", function () {
      showError("");
      if (sessionId) socket.send({ type: "request_human", session_id: sessionId });
      else if (!startId || !socket.isPending(startId)) {
        startId = newId();
        socket.sendKept({ type: "start_chat", text: "", client_id: startId, want_human: true, language: "",
          context_url: root.dataset.contextUrl || "" });
      }
    });

    rating.addEventListener("submit", function (event) {
      event.preventDefault();
      var chosen = rating.querySelector("input[name=score]:checked");
      if (!chosen || !sessionId) return;
      socket.send({ type: "rate", session_id: sessionId, score: Number(chosen.value),
        comment: document.getElementById("chat-rating-comment").value });
    });
  }

  // ------------------------------------------------------------------ the agents' console

  function agentConsole(root) {
    var strings = JSON.parse(document.getElementById("chat-strings").textContent);
    var me = root.dataset.agent;
    var myName = root.dataset.agentName;
    var offersList = document.getElementById("chat-offers");
    var chatsList = document.getElementById("chat-active");
    var pane = document.getElementById("chat-conversation");
    var title = document.getElementById("chat-title");
    var errorBox = document.getElementById("chat-error");
    var form = document.getElementById("chat-compose");
    var textarea = document.getElementById("chat-text");
    var noteBox = document.getElementById("chat-note");
    var transferForm = document.getElementById("chat-transfer");
    var endButton = document.getElementById("chat-end");
    var typingBox = document.getElementById("chat-typing");
    var connection = document.getElementById("chat-connection");
    var chats = new Map();      // session id -> {ticket, name, log, thread, item}
    var current = null;
    var offerInfo = new Map();  // session id -> name shown in the offer
    var macroPicker = document.getElementById("chat-macro-picker");
    var macroSelect = document.getElementById("chat-macro");
    var suggestionsBox = document.getElementById("chat-suggestions");
    var suggestionList = document.getElementById("chat-suggestion-list");
    var suggestionsEmpty = document.getElementById("chat-suggestions-empty");

    var noticeBox = document.getElementById("chat-notice");
    function showError(text) { errorBox.textContent = text; errorBox.hidden = !text; }
    function showNotice(text) { noticeBox.textContent = text; noticeBox.hidden = !text; }
    function refreshEmpty() {
      document.getElementById("chat-offers-empty").hidden = offersList.children.length > 0;
      document.getElementById("chat-active-empty").hidden = chatsList.children.length > 0;
    }

    function addOffer(sessionId, ticketId, name, details) {
      if (document.getElementById("offer-" + sessionId)) return;
      offerInfo.set(sessionId, name);
      var item = element("li", "chat-offer");
      item.id = "offer-" + sessionId;
      item.appendChild(element("strong", "", name));
      if (details) item.appendChild(element("small", "", " " + details));
      var buttons = element("div", "chat-offer-buttons");
      var accept = element("button", "button button-small", strings.accept);
      accept.type = "button";
      accept.addEventListener("click", function () { socket.send({ type: "accept", session_id: sessionId }); });
      var decline = element("button", "button button-small button-secondary", strings.decline);
      decline.type = "button";
      decline.addEventListener("click", function () { socket.send({ type: "decline", session_id: sessionId }); });
      buttons.appendChild(accept);
      buttons.appendChild(decline);
      item.appendChild(buttons);
      offersList.appendChild(item);
      refreshEmpty();
    }
    function removeOffer(sessionId) {
      var item = document.getElementById("offer-" + sessionId);
      if (item) item.remove();
      refreshEmpty();
    }

    function addChat(sessionId, ticketId, name) {
      if (chats.has(sessionId)) return chats.get(sessionId);
      var log = element("ol", "chat-log");
      log.setAttribute("aria-live", "polite");
      var item = element("li", "chat-item");
      var link = element("button", "link-button", name || format(strings.chat_label, { ticket: ticketId }));
      link.type = "button";
      link.addEventListener("click", function () { openChat(sessionId); });
      item.appendChild(link);
      var unread = element("span", "badge chat-unread", "•");
      unread.hidden = true;
      item.appendChild(unread);
      chatsList.appendChild(item);
      var chat = { session: sessionId, ticket: ticketId, name: name, log: log, item: item, unread: unread };
      chat.thread = transcript(log, root.dataset.messagesUrl, ticketId, strings, { customerName: true, me: myName,
        onFetched: function (last) {
          chat.primed = true;
          if (current === chat && last) socket.send({ type: "read", session_id: sessionId, message_id: last });
          else if (last) chat.unread.hidden = false;
        },
        // The history shown on opening is already what the first suggestions read.
        onMessage: function (message) { if (chat.primed && message.side === "customer") suggestSoon(chat); } });
      chats.set(sessionId, chat);
      socket.subscribe("ticket." + ticketId);
      chat.thread.fetchNew();
      refreshEmpty();
      return chat;
    }
    function removeChat(sessionId) {
      var chat = chats.get(sessionId);
      if (!chat) return;
      chat.item.remove();
      socket.unsubscribe("ticket." + chat.ticket);
      chats.delete(sessionId);
      if (current === chat) {
        current = null; pane.hidden = true; title.textContent = strings.choose_chat;
        suggestionsBox.hidden = true;
      }
      refreshEmpty();
    }

    function openChat(sessionId) {
      var chat = chats.get(sessionId);
      if (!chat) return;
      current = chat;
      showNotice("");
      chats.forEach(function (other) { other.item.classList.toggle("chat-current", other === chat); });
      chat.unread.hidden = true;
      title.textContent = chat.name || format(strings.chat_label, { ticket: chat.ticket });
      var holder = document.getElementById("chat-log-holder");
      holder.textContent = "";
      holder.appendChild(chat.log);
      pane.hidden = false;
      typingBox.hidden = true;
      chat.thread.fetchNew();
      showMacros(chat);
      if (chat.suggestions && !chat.suggestionsStale) showSuggestions(chat);
      else loadSuggestions(chat);
      textarea.focus();
    }

    // ---- macros and suggested articles: JSON read per chat (chat/views.py), inserted into the reply

    function chatUrl(template, ticketId) { return template.replace(/0\/$/, ticketId + "/"); }

    function getJson(url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        });
    }

    // At the cursor, on lines of its own, keeping what the agent already wrote; the agent still edits
    // and sends it.
    function insertReply(text) {
      var start = textarea.selectionStart, end = textarea.selectionEnd;
      var before = textarea.value.slice(0, start), after = textarea.value.slice(end);
      var piece = (before && !/\n$/.test(before) ? "\n" : "") + text + (after && !/^\n/.test(after) ? "\n" : "");
      textarea.setRangeText(piece, start, end, "end");
      textarea.focus();
      textarea.dispatchEvent(new Event("input"));   // tells the customer the agent is writing, as typing does
    }

    function showMacros(chat) {
      macroPicker.hidden = true;
      if (!chat.macros) {
        if (chat.macrosLoading) return;
        chat.macrosLoading = true;
        getJson(chatUrl(root.dataset.macrosUrl, chat.ticket)).then(function (data) {
          chat.macros = data.macros;
          if (current === chat) showMacros(chat);
        }).catch(function () { /* no picker: the agent types the reply */ }).then(function () {
          chat.macrosLoading = false;
        });
        return;
      }
      while (macroSelect.options.length > 1) macroSelect.remove(1);
      chat.macros.forEach(function (macro, index) {
        var option = element("option", "", macro.name);
        option.value = String(index);
        macroSelect.appendChild(option);
      });
      macroSelect.value = "";
      macroPicker.hidden = chat.macros.length === 0;
    }

    macroSelect.addEventListener("change", function () {
      var chosen = macroSelect.value;
      macroSelect.value = "";
      var macro = chosen && current && current.macros ? current.macros[Number(chosen)] : null;
      if (macro) insertReply(macro.body);
    });

    function suggestSoon(chat) {
      chat.suggestionsStale = true;
      if (current !== chat) return;   // read again when the agent opens it
      clearTimeout(chat.suggestTimer);
      chat.suggestTimer = setTimeout(function () { loadSuggestions(chat); }, 500);
    }

    function loadSuggestions(chat) {
      chat.suggestionsStale = false;
      getJson(chatUrl(root.dataset.articlesUrl, chat.ticket)).then(function (data) {
        chat.suggestions = data.articles;
        if (current === chat) showSuggestions(chat);
      }).catch(function () { chat.suggestionsStale = true; });
    }

    function showSuggestions(chat) {
      suggestionList.textContent = "";
      var articles = (chat.suggestions || []).filter(function (article) { return /^https?:\/\//.test(article.url); });
      articles.forEach(function (article) {
        var item = element("li");
        var link = element("a", "", article.title);
        link.href = article.url;
        link.target = "_blank";
        link.rel = "noopener";
        item.appendChild(link);
        if (article.shown_by_bot) item.appendChild(element("small", "", suggestionsBox.dataset.shown));
        var insert = element("button", "button button-small button-secondary", suggestionsBox.dataset.insert);
        insert.type = "button";
        insert.addEventListener("click", function () { insertReply(article.title + "\n" + article.url); });
        item.appendChild(insert);
        suggestionList.appendChild(item);
      });
      suggestionsEmpty.hidden = articles.length > 0;
      suggestionsBox.hidden = false;
    }

    var showTyping = typingIndicator(typingBox, strings);

    var socket = chatSocket(function (message) {
      if (message.type === "done") {
        if (message.command === "accept") {
          var name = offerInfo.get(message.session_id);
          removeOffer(message.session_id);
          addChat(message.session_id, message.ticket_id, name);
          openChat(message.session_id);
        } else if (message.command === "decline") {
          removeOffer(message.session_id);
        } else if (message.command === "transfer" || message.command === "end") {
          removeChat(message.session_id);
          showNotice(message.command === "transfer" ? strings.transferred : strings.ended);
        }
      } else if (message.type === "ack") {
        var chat = chats.get(message.session_id);
        if (chat) chat.thread.fetchNew();
      } else if (message.type === "error") {
        showError(message.message);
      } else if (message.type === "chat_snapshot") {
        if (message.state === "ended" || message.state === "left_message") removeChat(message.session_id);
        else if (chats.has(message.session_id)) chats.get(message.session_id).thread.fetchNew();   // (re)subscribed
      } else if (message.type === "event") {
        var event = message.event;
        if (message.group === "agent." + me) {
          if (event.type === "chat.offer") {
            addOffer(event.session_id, event.ticket_id, event.customer_name,
              [event.language, event.category, event.team].filter(Boolean).join(" · "));
          } else if (event.type === "chat.offer_withdrawn") {
            removeOffer(event.session_id);
          } else if (event.type === "chat.assigned") {
            removeOffer(event.session_id);
            addChat(event.session_id, event.ticket_id, offerInfo.get(event.session_id));
          }
          return;
        }
        var target = null;
        chats.forEach(function (chat) { if ("ticket." + chat.ticket === message.group) target = chat; });
        if (!target) return;
        // ticket.updated with changed ["*"]: after a reconnect the server had lost count of what this
        // socket missed, so read the conversation again from the last message shown.
        if (event.type === "ticket.message" || event.type === "ticket.updated") target.thread.fetchNew();
        else if (event.type === "chat.typing" && event.side === "customer" && current === target) showTyping(event);
        else if (event.type === "chat.state" && (event.state === "ended" || (event.agent_id && String(event.agent_id) !== me))) {
          target.thread.fetchNew();
          if (event.state === "ended" && current === target) showNotice(strings.ended);
          removeChat(target.session);
        }
      }
    }, function (online) { connection.hidden = online; });

    socket.subscribe("agent." + me);
    root.querySelectorAll("[data-offer-session]").forEach(function (node) {
      addOffer(Number(node.dataset.offerSession), Number(node.dataset.ticket), node.dataset.name, node.dataset.details);
      node.remove();
    });
    root.querySelectorAll("[data-chat-session]").forEach(function (node) {
      addChat(Number(node.dataset.chatSession), Number(node.dataset.ticket), node.dataset.name);
      node.remove();
    });
    refreshEmpty();
    if (chats.size) openChat(chats.keys().next().value);
    fileSender(form, root.dataset.uploadUrl, strings, function () { return current ? current.ticket : null; }, showError);

    var stopTyping = typingSender(textarea, function (typing) {
      if (current && !noteBox.checked) socket.send({ type: "typing", session_id: current.session, typing: typing });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = textarea.value.trim();
      if (!text || !current) return;
      showError("");
      var clientId = newId();
      socket.sendKept({ type: "message", session_id: current.session, text: text, client_id: clientId, note: noteBox.checked });
      current.thread.showLocal(clientId, text, noteBox.checked);
      textarea.value = "";
      stopTyping();
    });
    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); form.requestSubmit(); }
    });
    transferForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!current) return;
      var team = document.getElementById("chat-transfer-team").value;
      var note = document.getElementById("chat-transfer-note").value;
      if (!team) return;
      socket.send({ type: "transfer", session_id: current.session, to_team: team, note: note });
    });
    endButton.addEventListener("click", function () {
      if (current) socket.send({ type: "end", session_id: current.session });
    });
  }

  // ------------------------------------------------------------------ the supervisor's board

  // The board is an htmx partial that polls every few seconds (waiting times move, and capacity changes
  // publish no event); a team's queue event (a chat queued, offered, taken or ended, an agent's
  // presence) refreshes it at once through the page's /ws/ socket.
  function supervisorBoard(board) {
    var realtime = window.Watchkeeper && window.Watchkeeper.realtime ? window.Watchkeeper.realtime() : null;
    if (!realtime || !window.htmx) return;
    (board.dataset.teams || "").split(",").filter(Boolean).forEach(function (slug) {
      realtime.subscribe("queue." + slug, function () { window.htmx.trigger(board, "queue-changed"); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var customer = document.getElementById("customer-chat");
    if (customer) customerChat(customer);
    var agent = document.getElementById("agent-chats");
    if (agent) agentConsole(agent);
    var board = document.getElementById("chat-supervisor");
    if (board) supervisorBoard(board);
  });
})();
