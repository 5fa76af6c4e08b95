// The live board: follows the server's event stream and swaps in the new view when the store
// changes; keeps the folds and the filter across swaps; asks for a bearer token when the
// server needs one and keeps it in this tab's sessionStorage only. No library, no build step.
(function () {
  "use strict";
  var body = document.body;
  var base = body.dataset.base;
  var needsToken = body.dataset.tokenRequired === "yes";
  var KEY = "project-status-board-token";
  var live = document.getElementById("live");
  var board = document.getElementById("board");
  var search = document.getElementById("search");
  var marker = null;
  var fetching = false;
  var again = false;

  function token() { return needsToken ? sessionStorage.getItem(KEY) : null; }
  function headers() {
    var t = token();
    return t ? { Authorization: "Bearer " + t } : {};
  }
  function say(text, state) {
    live.textContent = text;
    live.className = "live" + (state ? " " + state : "");
  }
  function currentMarker() {
    var view = document.getElementById("view");
    return view ? view.dataset.marker : null;
  }

  // An item's own line: a leaf's text, or a parent's summary.
  function line(node) {
    var fold = node.firstElementChild;
    if (fold && fold.tagName === "DETAILS") return fold.firstElementChild.textContent;
    return node.textContent;
  }

  // The filter: an item shows when its line matches, and so do its ancestors (unfolded).
  function applyFilter() {
    var words = search.value.trim().toLowerCase();
    var nodes = board.querySelectorAll("#tree li");
    var shown = 0;
    var i;
    if (!words) {
      for (i = 0; i < nodes.length; i++) nodes[i].hidden = false;
      document.getElementById("no-match") && (document.getElementById("no-match").hidden = true);
      return;
    }
    for (i = 0; i < nodes.length; i++) nodes[i].hidden = true;
    for (i = 0; i < nodes.length; i++) {
      if (line(nodes[i]).toLowerCase().indexOf(words) === -1) continue;
      shown++;
      var node = nodes[i];
      while (node) {
        node.hidden = false;
        var fold = node.firstElementChild;
        if (fold && fold.tagName === "DETAILS" && node !== nodes[i]) fold.open = true;
        node = node.parentElement && node.parentElement.closest("#tree li");
      }
    }
    var none = document.getElementById("no-match");
    if (none) none.hidden = shown > 0;
  }
  search.addEventListener("input", applyFilter);

  function folds() {
    var state = {};
    var all = board.querySelectorAll("#tree details");
    for (var i = 0; i < all.length; i++) state[all[i].dataset.id] = all[i].open;
    return state;
  }
  function restoreFolds(state) {
    var all = board.querySelectorAll("#tree details");
    for (var i = 0; i < all.length; i++) {
      var id = all[i].dataset.id;
      if (id in state) all[i].open = state[id];
    }
  }

  function askToken(message) {
    var form = document.getElementById("token-form");
    if (!form) return;
    form.hidden = false;
    document.getElementById("token-error").textContent = message || "";
    say("waiting for the token", "off");
    document.getElementById("token").focus();
  }

  // Fetch the view and swap it in; a refresh asked for meanwhile runs once after.
  function refresh() {
    if (fetching) { again = true; return Promise.resolve(); }
    fetching = true;
    return fetch(base + "/view", { headers: headers(), cache: "no-store" }).then(function (response) {
      if (response.status === 401) {
        sessionStorage.removeItem(KEY);
        askToken("That token was not accepted; check it with the server's administrator.");
        throw new Error("unauthorized");
      }
      return response.text();
    }).then(function (html) {
      var state = folds();
      var scroll = document.getElementById("tree-box");
      var top = scroll ? scroll.scrollTop : 0;
      board.innerHTML = html;
      restoreFolds(state);
      scroll = document.getElementById("tree-box");
      if (scroll) scroll.scrollTop = top;
      marker = currentMarker();
      applyFilter();
      var form = document.getElementById("token-form");
      if (form) form.hidden = true;
    }).catch(function () {}).then(function () {
      fetching = false;
      if (again) { again = false; refresh(); }
    });
  }

  // Server-sent events read through fetch, so the bearer token can travel in a header
  // (EventSource sends none). Reconnects after a dropped stream or a server restart.
  function follow() {
    if (needsToken && !token()) { askToken(); return; }
    var buffer = "";
    fetch(base + "/events", { headers: headers(), cache: "no-store" }).then(function (response) {
      if (response.status === 401) {
        sessionStorage.removeItem(KEY);
        askToken("That token was not accepted; check it with the server's administrator.");
        return "stop";
      }
      if (!response.ok || !response.body) throw new Error("stream " + response.status);
      say("live", "on");
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error("closed");
          buffer += decoder.decode(chunk.value, { stream: true });
          var cut;
          while ((cut = buffer.indexOf("\n\n")) !== -1) {
            var block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            var data = null;
            block.split("\n").forEach(function (line) {
              if (line.indexOf("data:") === 0) data = line.slice(5).trim();
            });
            if (data !== null && data !== marker) refresh();
          }
          return pump();
        });
      }
      return pump();
    }).then(function (outcome) {
      if (outcome !== "stop") setTimeout(follow, 1000);
    }, function () {
      say("reconnecting", "off");
      setTimeout(follow, 1000);
    });
  }

  var form = document.getElementById("token-form");
  if (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      sessionStorage.setItem(KEY, document.getElementById("token").value.trim());
      refresh().then(function () { if (token()) follow(); });
    });
  }
  marker = currentMarker();
  if (needsToken && token()) refresh();
  follow();
})();
