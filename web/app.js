// The page: a CodeMirror editor, the language and examples menus, and one run at a time.
// A run goes to /run/stream, whose output is shown as it arrives; a browser (or a server)
// that cannot stream gets /run instead, and the answer is shown the same way.
// Everything the program printed is shown as text nodes or textContent, never innerHTML: output is data.
(function () {
  "use strict";

  var BADGES = {
    ok: { text: "OK", cls: "badge-ok" },
    error: { text: "Error", cls: "badge-error" },
    timeout: { text: "Timed out", cls: "badge-limit" },
    memory: { text: "Memory limit", cls: "badge-limit" },
    output_limit: { text: "Output truncated", cls: "badge-limit" },
    killed: { text: "Killed", cls: "badge-limit" }
  };
  var REFUSALS = {
    401: { text: "Join code needed", cls: "badge-down" },
    429: { text: "Busy", cls: "badge-busy" },
    503: { text: "Unavailable", cls: "badge-down" }
  };

  var HEALTH_TIMEOUT_MS = 6000;   // the server bounds its own checks to 3 s; this is for a dead server
  var FLUSH_MS = 50;              // output arriving faster than this is shown in one go
  var NDJSON = "application/x-ndjson";
  // Refusals of the program's input, which the page points at its own box.
  var STDIN_REASONS = { stdin_not_string: true, stdin_too_large: true, invalid_stdin: true };
  var FILES_REASONS = { bad_files: true, bad_file: true, bad_base64: true, too_many_files: true,
                        file_too_large: true, files_too_large: true, invalid_files: true,
                        files_not_writable: true };
  // The only types shown as images: raster formats a browser draws without running anything.
  // SVG is not here: it can hold script, so it is offered as a download like any other file.
  var INLINE_IMAGES = { "image/png": "image/png", "image/jpeg": "image/jpeg", "image/gif": "image/gif" };

  // What the editor needs to know of each language; /api/config says which ones the server runs.
  var EDITOR = {
    python: { mode: "python", indent: 4, starter: 'print("Hello World")\n' },
    javascript: { mode: "javascript", indent: 2, starter: 'console.log("Hello World")\n' }
  };

  var $ = function (id) { return document.getElementById(id); };
  var state = { running: false, config: null, examples: {}, editor: null, language: "python",
                titles: {}, unavailable: {},     // titles: how /api/config names each language
                files: [],                       // input files: {name, size, base64}
                urls: [],                        // blob: URLs of the last result's downloads
                joinCode: "" };                  // a class's join code (also in sessionStorage)

  // -- the editor ------------------------------------------------------------------------
  function makeEditor() {
    var textarea = $("code");
    if (typeof window.CodeMirror !== "function") {
      return { getValue: function () { return textarea.value; },
               setValue: function (v) { textarea.value = v; },
               focus: function () { textarea.focus(); },
               on: function (name, fn) { textarea.addEventListener("input", fn); } };
    }
    var editor = window.CodeMirror.fromTextArea(textarea, {
      mode: EDITOR.python.mode,
      lineNumbers: true,
      indentUnit: EDITOR.python.indent,
      matchBrackets: true,
      viewportMargin: Infinity,
      lineWrapping: true,                        // narrow windows and large fonts
      inputStyle: "contenteditable",           // better with screen readers
      screenReaderLabel: "Python code",
      extraKeys: {
        Tab: function (cm) {
          if (cm.somethingSelected()) { cm.indentSelection("add"); }
          else { cm.replaceSelection(new Array(cm.getOption("indentUnit") + 1).join(" "), "end"); }
        },
        "Shift-Tab": function (cm) { cm.indentSelection("subtract"); },
        // The way out of the editor for keyboard users: Tab is taken by indentation.
        Esc: function () { $("run").focus(); }
      }
    });
    // The label's "for" points at the hidden textarea; send clicks and focus to the editor.
    $("code-label").addEventListener("click", function () { editor.focus(); });
    return editor;
  }

  // -- talking to the server ---------------------------------------------------------------
  function getJSON(path) {
    return fetch(path, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); });
  }

  // -- a class's join code: asked once, kept for this tab, sent as a Bearer token -------------
  var JOIN_KEY = "safe-python-join-code";

  function storedCode() {
    try { return window.sessionStorage.getItem(JOIN_KEY) || ""; } catch (e) { return state.joinCode || ""; }
  }

  function keepCode(code) {
    state.joinCode = code;
    try {
      if (code) { window.sessionStorage.setItem(JOIN_KEY, code); } else { window.sessionStorage.removeItem(JOIN_KEY); }
    } catch (e) { /* private mode: kept in memory only */ }
  }

  function authHeaders(headers) {
    var code = state.joinCode || storedCode();
    if (code) { headers.Authorization = "Bearer " + code; }
    return headers;
  }

  // Ask the server who a code belongs to; keep it only if the server knows it.
  function checkCode(code) {
    return fetch("/api/class/me", { headers: { Accept: "application/json", Authorization: "Bearer " + code } })
      .then(function (response) {
        return response.json().then(function (data) { return { status: response.status, data: data }; });
      });
  }

  function showJoined(me) {
    $("join").hidden = true;
    $("joined").hidden = false;
    $("joined").textContent = "Joined class " + me["class"] + " as " + me.who + ".";
  }

  function askForCode(why) {
    $("joined").hidden = true;
    $("join").hidden = false;
    $("join-status").textContent = why || "";
    $("join-code").focus();
  }

  function setUpJoin() {
    $("join").addEventListener("submit", function (event) {
      event.preventDefault();
      var code = $("join-code").value.trim();
      if (!code) { return; }
      $("join-status").textContent = "Checking…";
      checkCode(code).then(function (answer) {
        if (answer.status === 200) {
          keepCode(code);
          $("join-code").value = "";
          showJoined(answer.data);
        } else {
          askForCode((answer.data && answer.data.error) || "That code was refused.");
        }
      }, function () { askForCode("The server did not answer; try again."); });
    });
    var code = storedCode();
    if (!code) { askForCode(""); return; }
    checkCode(code).then(function (answer) {
      if (answer.status === 200) { state.joinCode = code; showJoined(answer.data); }
      else { keepCode(""); askForCode(answer.data && answer.data.error); }
    }, function () { askForCode(""); });
  }

  function loadConfig() {
    return getJSON("/api/config").then(function (config) {
      state.config = config;
      if (config.join_code_required) { setUpJoin(); }
      fillProfiles(config.profiles, config.default_profile);
      if (config.languages) { fillLanguages(config.languages); }
      if (config.allow_ablation) { showAblation(config.controls); }
      showLimits(config.limits[$("profile").value]);
      describeProfile();
      countStdin();
    });
  }

  function loadExamples() {
    return getJSON("/api/examples").then(function (data) {
      data.examples.forEach(function (example) { state.examples[example.name] = example; });
      fillExamples();
    });
  }

  function checkHealth() {
    var box = $("engine");
    // A server that accepts the connection and never answers must not leave the page waiting.
    var abort = new AbortController();
    var timer = window.setTimeout(function () { abort.abort(); }, HEALTH_TIMEOUT_MS);
    return fetch("/health", { headers: { Accept: "application/json" }, signal: abort.signal })
      .then(function (response) { return response.json(); })
      .then(function (health) {
        showLanguageHealth(health.languages || {});
        if (health.ok) {
          var missing = Object.keys(state.unavailable).map(title);
          box.textContent = "Engine ready" + (missing.length ? " · " + missing.join(", ") + " unavailable" : "");
          box.className = "engine engine-ok";
        } else {
          var why = !health.engine.ok ? health.engine.detail : health.image.detail;
          box.textContent = "Not ready: " + why;
          box.className = "engine engine-down";
        }
      })
      .catch(function () {
        box.textContent = "The server does not answer.";
        box.className = "engine engine-down";
      })
      .then(function () { window.clearTimeout(timer); });
  }

  // -- running -------------------------------------------------------------------------------
  function run() {
    if (state.running) { return; }          // one run at a time: no double fire
    var body = { code: state.editor.getValue(), language: state.language };
    var profile = $("profile").value;
    if (profile !== "hardened") { body.profile = profile; }
    var removed = removedControls();
    if (removed.length) { body.without = removed; }
    var stdin = $("stdin").value;
    if (stdin) { body.stdin = stdin; }
    if (state.files.length) {
      body.files = Object.create(null);        // a file named "__proto__" is a file like any other
      state.files.forEach(function (file) { body.files[file.name] = { base64: file.base64 }; });
    }

    setRunning(true);
    clearResult();
    var started = Date.now();
    var limit = state.config && state.config.limits[profile] ? state.config.limits[profile].timeout_s : null;
    // The clock starts at the click, so it includes any wait in the server's queue; the limit
    // only counts the program's own running time.
    var ticker = window.setInterval(function () {
      $("clock").textContent = ((Date.now() - started) / 1000).toFixed(1) + " s since Run" +
        (limit ? " (the program itself may run at most " + limit + " s)" : "");
    }, 200);

    runStreamed(body)
      .then(function (handled) { return handled ? null : runOnce(body); })
      .catch(function () {
        showRefusal({ status: 0, data: { error: "Could not reach the server. Is it still running?" } });
      })
      .then(function () {
        window.clearInterval(ticker);
        $("clock").textContent = "";
        $("progress").textContent = "";
        setRunning(false);
      });
  }

  function post(path, body, accept) {
    return fetch(path, {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json", Accept: accept }),
      credentials: "same-origin",
      body: JSON.stringify(body)
    });
  }

  // /run: one JSON answer at the end.
  function runOnce(body) {
    return post("/run", body, "application/json").then(showAnswer);
  }

  // A plain JSON answer, from /run or a /run/stream refused before the run began.
  function showAnswer(response) {
    return response.json().then(
      function (data) { return { status: response.status, data: data, headers: response.headers }; },
      function () { return { status: response.status, data: { error: "The server sent an unreadable answer." } }; })
      .then(function (answer) {
        if (answer.status === 200) { showResult(answer.data); }
        else { showRefusal(answer); }
      });
  }

  function canStream() {
    return typeof window.ReadableStream === "function" && typeof window.TextDecoder === "function" &&
      typeof window.Response === "function" && "body" in window.Response.prototype;
  }

  // /run/stream: resolves true once the run has been shown (its result, its refusal, or a stream
  // cut short after it began), false when nothing came and the caller should use /run instead.
  // Only a stream that failed before its first event falls back: a run is never sent twice.
  function runStreamed(body) {
    if (!canStream()) { return Promise.resolve(false); }
    var seen = { events: 0, ended: false };
    return post("/run/stream", body, NDJSON + ", application/json").then(function (response) {
      // A server from before /run/stream has no such route.
      if (response.status === 404 || response.status === 405) { return false; }
      var type = (response.headers.get("Content-Type") || "").toLowerCase();
      if (type.indexOf(NDJSON) !== 0) { return showAnswer(response).then(function () { return true; }); }
      if (!response.body || typeof response.body.getReader !== "function") { return false; }
      return readLines(response.body.getReader(), function (line) { onEvent(JSON.parse(line), seen); })
        .then(null, function (failure) {
          if (seen.ended) { window.console.error("The page could not show the result:", failure); }
        })
        .then(function () {
          if (seen.ended) { return true; }
          if (!seen.events) { return false; }
          showCutShort();
          return true;
        });
    }, function () { return false; });       // no answer at all: /run says why, or fails the same way
  }

  // Feed each complete line of the body to `onLine`; a line may come in pieces, or many in one.
  function readLines(reader, onLine) {
    var decoder = new window.TextDecoder("utf-8");
    var rest = "";
    function each(text) {
      var lines = text.split("\n");
      rest = lines.pop();
      lines.forEach(function (line) { if (line.trim()) { onLine(line); } });
    }
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) {
          each(rest + decoder.decode() + "\n");
          return null;
        }
        each(rest + decoder.decode(chunk.value, { stream: true }));
        return pump();
      });
    }
    return pump().catch(function (failure) {
      reader.cancel().catch(function () { /* already closed */ });
      throw failure;
    });
  }

  function onEvent(event, seen) {
    seen.events += 1;
    if (event.event === "start") {
      $("message").textContent = "Running… its output appears below as it arrives.";
    } else if (event.event === "output") {
      appendOutput(event.stream === "stderr" ? "stderr" : "stdout", String(event.text));
    } else if (event.event === "running") {
      $("progress").textContent = " · running " + Math.round(Number(event.seconds) || 0) + " s";
    } else if (event.event === "result") {
      seen.ended = true;
      showResult(event);
    } else if (event.event === "error") {
      seen.ended = true;
      showRefusal({ status: event.status, data: event });
    }                                         // an event this page does not know is skipped
  }

  // Output waits a moment so that a burst of small writes is laid out once, not once each.
  var pending = { stdout: "", stderr: "", timer: null };

  function appendOutput(stream, text) {
    pending[stream] += text;
    if (pending.timer === null) { pending.timer = window.setTimeout(flushOutput, FLUSH_MS); }
  }

  function flushOutput() {
    ["stdout", "stderr"].forEach(function (stream) {
      if (!pending[stream]) { return; }
      var pane = $(stream);
      var atEnd = pane.scrollTop + pane.clientHeight >= pane.scrollHeight - 4;
      pane.appendChild(document.createTextNode(pending[stream]));
      pending[stream] = "";
      if (atEnd) { pane.scrollTop = pane.scrollHeight; }   // follow the output unless scrolled back
    });
    dropOutput();
  }

  function dropOutput() {
    if (pending.timer !== null) { window.clearTimeout(pending.timer); }
    pending.stdout = pending.stderr = "";
    pending.timer = null;
  }

  function showCutShort() {
    flushOutput();
    setBadge({ text: "No answer", cls: "badge-down" });
    $("message").textContent = "The connection to the server ended before the run did; the output so far is shown.";
  }

  function setRunning(on) {
    state.running = on;
    var button = $("run");
    // aria-disabled rather than disabled: a disabled button would drop the keyboard focus.
    button.setAttribute("aria-disabled", on ? "true" : "false");
    button.setAttribute("aria-busy", on ? "true" : "false");
    button.classList.toggle("is-running", on);
    button.querySelector(".run-label").textContent = on ? "Running…" : "Run";
    if (on) {
      setBadge({ text: "Running", cls: "badge-running" });
      $("message").textContent = "Running…";
    }
  }

  // A new run starts from a blank result panel; its output fills it as it comes.
  function clearResult() {
    dropOutput();
    ["stopped-by", "exit-code", "duration", "profile-used", "language-used", "usage"].forEach(function (id) {
      $(id).textContent = "–";
    });
    $("stdout").textContent = "";
    $("stderr").textContent = "";
    showHint(null);
    showOutFiles([], [], 0);
  }

  function showResult(data) {
    dropOutput();                            // the result carries the whole output
    var badge = BADGES[data.status] || { text: data.status, cls: "badge-error" };
    if (data.truncated && data.status !== "output_limit") {
      badge = { text: badge.text + " · output truncated", cls: badge.cls };
    }
    setBadge(badge);
    $("message").textContent = data.status === "ok" ? "The program ran to its end." : data.error;
    $("stopped-by").textContent = data.stopped_by || "–";
    $("exit-code").textContent = data.exit_code === null ? "–" : String(data.exit_code);
    $("duration").textContent = data.duration_s.toFixed(2) + " s";
    $("profile-used").textContent = data.limits.name;
    $("language-used").textContent = title(data.language);
    $("stdout").textContent = data.stdout;
    $("stderr").textContent = data.stderr;
    $("usage").textContent = describeUsage(data);
    showHint(data.hint);
    showLimits(data.limits);
    showOutFiles(data.files || [], data.files_refused || [], data.files_unexamined || 0);
  }

  // The kernel's record of the run, in one line: what the program used, what the limits refused.
  function describeUsage(data) {
    var usage = data.usage;
    if (!usage) { return "not reported for this run"; }
    var limits = data.limits || {};
    var parts = [];
    var known = function (value) { return typeof value === "number"; };
    if (known(usage.cpu_s)) { parts.push("CPU " + usage.cpu_s.toFixed(2) + " s"); }
    if (known(usage.peak_mib)) {
      parts.push("peak " + usage.peak_mib.toFixed(1) + " MiB" + (limits.memory_mib ? " of " + limits.memory_mib : ""));
    }
    if (known(usage.peak_tasks)) { parts.push("peak " + count(usage.peak_tasks, "task", "tasks")); }
    if (usage.throttled_periods) {
      parts.push(usage.throttled_periods + (known(usage.cpu_periods) ? " of " + usage.cpu_periods : "") +
        " CPU periods throttled");
    }
    if (usage.forks_refused) { parts.push(count(usage.forks_refused, "fork", "forks") + " refused"); }
    if (usage.memory_limit_hits) { parts.push("memory limit reached " + count(usage.memory_limit_hits, "time", "times")); }
    if (usage.oom_kills) { parts.push(count(usage.oom_kills, "process", "processes") + " killed by the OOM killer"); }
    if (usage.no_route) { parts.push(count(usage.no_route, "packet", "packets") + " with no route"); }
    if (usage.scratch_full && usage.scratch_full.length) { parts.push(usage.scratch_full.join(", ") + " full"); }
    if (usage.stdin_bytes) { parts.push(count(usage.stdin_bytes, "byte", "bytes") + " of stdin read"); }
    if (data.signal) { parts.push("ended by " + data.signal); }
    return parts.length ? parts.join(" · ") : "not reported for this run";
  }

  function count(n, one, many) { return n + " " + (n === 1 ? one : many); }

  // What the program's error text points at. Only a guess: the program writes its own stderr.
  function showHint(hint) {
    var box = $("hint");
    box.hidden = !hint;
    if (!hint) { $("hint-text").textContent = ""; return; }
    var control = state.config && state.config.controls.filter(function (c) { return c.name === hint; })[0];
    $("hint-text").textContent = "the error text points at " + hint +
      (control && control.summary ? " (" + control.summary + ")" : "") +
      ". Not a fact: the program writes its own stderr; “Stopped by” holds only facts.";
  }

  function showRefusal(answer) {
    var badge = REFUSALS[answer.status] || { text: answer.status ? "Refused" : "No answer", cls: "badge-down" };
    setBadge(badge);
    var message = (answer.data && answer.data.error) || "The request failed.";
    if (answer.status === 429 && answer.headers && answer.headers.get("Retry-After")) {
      message += " Try again in " + answer.headers.get("Retry-After") + " s.";
    }
    if (answer.data && STDIN_REASONS[answer.data.reason] === true) {
      message = "The program input (stdin) was refused: " + message;
    }
    if (answer.data && FILES_REASONS[answer.data.reason] === true) {
      message = "The input files were refused: " + message;
    }
    clearResult();
    $("message").textContent = message;
    if (answer.status === 503) { checkHealth(); }
    if (answer.status === 401) { keepCode(""); askForCode(message); }
  }

  function setBadge(badge) {
    var el = $("badge");
    el.textContent = badge.text;
    el.className = "badge " + badge.cls;
  }

  // -- files the program left in out/ -----------------------------------------------------------
  // Built with DOM calls only: a name is text (textContent), an image's source is a data: URL
  // of a type this page chose, and a download is a blob: of bytes typed application/octet-stream,
  // so that no browser renders it as a page of this origin.
  function showOutFiles(files, refused, unexamined) {
    state.urls.forEach(function (url) { window.URL.revokeObjectURL(url); });
    state.urls = [];
    var list = $("out-files");
    var gone = $("out-refused");
    list.textContent = "";
    gone.textContent = "";
    files.forEach(function (file) { list.appendChild(outFile(file)); });
    refused.forEach(function (entry) {
      var item = document.createElement("li");
      item.textContent = String(entry.name) + " did not come back: " + String(entry.reason);
      gone.appendChild(item);
    });
    if (unexamined) {
      var more = document.createElement("li");
      more.textContent = count(unexamined, "more entry", "more entries") + " in out/ not examined";
      gone.appendChild(more);
    }
    $("out-section").hidden = !(files.length || refused.length || unexamined);
  }

  function outFile(file) {
    var item = document.createElement("li");
    item.className = "out-file";
    var name = String(file.name);
    var type = Object.prototype.hasOwnProperty.call(INLINE_IMAGES, file.type) ? INLINE_IMAGES[file.type] : null;
    if (type) {
      var img = document.createElement("img");
      img.src = "data:" + type + ";base64," + file.base64;
      img.alt = "out/" + name;
      item.appendChild(img);
    }
    var link = document.createElement("a");
    var url = window.URL.createObjectURL(new Blob([bytesOf(file.base64)], { type: "application/octet-stream" }));
    state.urls.push(url);
    link.href = url;
    link.download = name.split("/").join("_");   // a download's name has no folders
    link.textContent = name;
    item.appendChild(link);
    item.appendChild(document.createTextNode(" · " + size(file.size) + " · " + String(file.type)));
    return item;
  }

  function bytesOf(base64) {
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) { bytes[i] = binary.charCodeAt(i); }
    return bytes;
  }

  // A size in words: 1 MiB is "1 MiB", not "1.0 MiB", so a limit reads as the server states it.
  function size(bytes) {
    if (bytes < 1024) { return count(bytes, "byte", "bytes"); }
    var kib = bytes / 1024;
    var mib = kib / 1024;
    return mib < 1 ? (kib % 1 ? kib.toFixed(1) : kib) + " KiB" : (mib % 1 ? mib.toFixed(1) : mib) + " MiB";
  }

  // -- input files ------------------------------------------------------------------------------
  // Checked here against the bounds /api/config states, so a learner hears at once what is too
  // much; the server checks everything again and decides.
  function addFiles(fileList) {
    var picked = Array.prototype.slice.call(fileList || []);
    var bounds = state.config && state.config.files;
    var refused = [];
    var wanted = picked.filter(function (file) {
      if (bounds && file.size > bounds.max_file_bytes) {
        refused.push(file.name + " is " + count(file.size, "byte", "bytes") + "; the limit is " +
          size(bounds.max_file_bytes) + " a file");
        return false;
      }
      return true;
    });
    return Promise.all(wanted.map(function (file) {
      return readFile(file).then(null, function () { refused.push(file.name + " could not be read"); return null; });
    })).then(function (read) {
      read.forEach(function (file) {
        if (!file) { return; }
        var others = state.files.filter(function (f) { return f.name !== file.name; });
        var total = others.reduce(function (sum, f) { return sum + f.size; }, 0) + file.size;
        if (bounds && others.length + 1 > bounds.max_files) {
          refused.push(file.name + ": at most " + bounds.max_files + " files");
        } else if (bounds && total > bounds.max_total_bytes) {
          refused.push(file.name + ": the files would add up to more than " + size(bounds.max_total_bytes));
        } else {
          state.files = others.concat([file]);    // a file of the same name is replaced
        }
      });
      showFiles();
      $("files-message").textContent = refused.length ? "Not added: " + refused.join("; ") + "." : "";
    });
  }

  function readFile(file) {
    return new Promise(function (resolve, reject) {
      var reader = new window.FileReader();
      reader.onload = function () {
        var url = String(reader.result);          // data:TYPE;base64,DATA ("data:" for an empty file)
        var comma = url.indexOf(",");
        resolve({ name: file.name, size: file.size, base64: comma === -1 ? "" : url.slice(comma + 1) });
      };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsDataURL(file);
    });
  }

  function showFiles() {
    var list = $("file-list");
    list.textContent = "";
    state.files.forEach(function (file) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "file-name";
      name.textContent = file.name;
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "quiet";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", "Remove " + file.name);
      remove.addEventListener("click", function () {
        state.files = state.files.filter(function (f) { return f !== file; });
        showFiles();
        $("files-message").textContent = "Removed " + file.name + ".";
        $("files").focus();                      // the button is gone: keep the focus nearby
      });
      item.appendChild(name);
      item.appendChild(document.createTextNode(" " + size(file.size) + " "));
      item.appendChild(remove);
      list.appendChild(item);
    });
    var total = state.files.reduce(function (sum, f) { return sum + f.size; }, 0);
    var bounds = state.config && state.config.files;
    $("files-count").textContent = state.files.length
      ? count(state.files.length, "file", "files") + ", " + size(total) +
        (bounds ? " of " + size(bounds.max_total_bytes) : "")
      : "";
  }

  // Dropped files are input files. Caught on the way down (capture), before the editor, which
  // would otherwise paste a dropped file's text into the code.
  function watchDrops(zone) {
    var carriesFiles = function (event) {
      return event.dataTransfer && Array.prototype.indexOf.call(event.dataTransfer.types || [], "Files") !== -1;
    };
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        if (!carriesFiles(event)) { return; }
        event.preventDefault();
        event.stopPropagation();
        event.dataTransfer.dropEffect = "copy";
        zone.classList.add("dragging");
      }, true);
    });
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) { zone.classList.remove("dragging"); }
    }, true);
    zone.addEventListener("drop", function (event) {
      zone.classList.remove("dragging");
      if (!carriesFiles(event)) { return; }
      event.preventDefault();
      event.stopPropagation();
      addFiles(event.dataTransfer.files);
    }, true);
  }

  // -- limits, profiles, ablation -------------------------------------------------------
  function showLimits(limits) {
    var list = $("limits");
    list.textContent = "";
    var inForce = limits.controls || [];
    var all = state.config ? hardenedControls().concat(extraLayers(inForce)) : inForce;
    all.forEach(function (name) {
      var item = document.createElement("li");
      var on = inForce.indexOf(name) !== -1;
      item.className = on ? "limit-on" : "limit-off";
      var label = document.createElement("span");
      label.className = "limit-name";
      label.textContent = (on ? "✓ " : "✗ ") + name;
      var detail = document.createElement("span");
      detail.className = "limit-detail";
      // The server describes each control from the kit's registry: one source for every face.
      detail.textContent = (limits.described && limits.described[name]) || (on ? "on" : "removed");
      item.appendChild(label);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(detail);
      list.appendChild(item);
    });
  }

  // The hardened profile's controls, and the extra layers (the runtime) a profile switches on:
  // an extra layer that is off is not a control removed.
  function hardenedControls() {
    return state.config.controls.filter(function (c) { return !c.extra; }).map(function (c) { return c.name; });
  }

  function extraLayers(inForce) {
    return state.config.controls.filter(function (c) { return c.extra && inForce.indexOf(c.name) !== -1; })
      .map(function (c) { return c.name; });
  }

  // Whatever profiles the server lists, in its order; its default is selected.
  function fillProfiles(profiles, chosen) {
    var select = $("profile");
    select.textContent = "";
    profiles.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    });
    select.value = profiles.indexOf(chosen) !== -1 ? chosen : profiles[0];
  }

  // A profile in a line, from the limits the server sends for it: which controls it keeps.
  function describeProfile() {
    var name = $("profile").value;
    var limits = state.config && state.config.limits[name];
    if (!limits) { $("profile-note").textContent = ""; return; }
    var all = hardenedControls();
    var kept = limits.controls || [];
    var gone = all.filter(function (c) { return kept.indexOf(c) === -1; });
    var extra = extraLayers(kept);
    $("profile-note").textContent = name + ": " + (gone.length
      ? kept.filter(function (c) { return all.indexOf(c) !== -1; }).length + " of " + all.length +
        " controls; without " + gone.join(", ") + "."
      : "all " + all.length + " controls.") + (extra.length ? " Plus " + extra.join(", ") + ": " +
        extra.map(function (c) { return limits.described[c]; }).join(", ") + "." : "");
  }

  function showAblation(controls) {
    $("ablation-banner").hidden = false;
    $("ablation").hidden = false;
    var list = $("ablation-list");
    controls.filter(function (control) { return !control.extra; }).forEach(function (control) {
      var id = "without-" + control.name;
      var wrap = document.createElement("div");
      wrap.className = "check";
      var box = document.createElement("input");
      box.type = "checkbox";
      box.id = id;
      box.value = control.name;
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = control.name;
      label.title = control.summary;
      wrap.appendChild(box);
      wrap.appendChild(label);
      list.appendChild(wrap);
    });
  }

  function removedControls() {
    var boxes = document.querySelectorAll("#ablation-list input:checked");
    return Array.prototype.map.call(boxes, function (box) { return box.value; });
  }

  // -- languages -----------------------------------------------------------------------------
  function title(language) { return state.titles[language] || language; }

  function fillLanguages(languages) {
    var select = $("language");
    select.textContent = "";
    languages.forEach(function (language) {
      state.titles[language.name] = language.title;
      var option = document.createElement("option");
      option.value = language.name;
      option.textContent = language.title;
      select.appendChild(option);
    });
    select.value = state.language;
  }

  // A language whose image is missing stays selectable: its runs answer 503 with the fix.
  function showLanguageHealth(languages) {
    state.unavailable = {};
    Object.keys(languages).forEach(function (name) {
      if (!languages[name].available) { state.unavailable[name] = languages[name].detail; }
    });
    Array.prototype.forEach.call($("language").options, function (option) {
      option.textContent = title(option.value) + (state.unavailable[option.value] ? " (unavailable)" : "");
    });
    noteLanguage();
  }

  function noteLanguage() {
    var why = state.unavailable[state.language];
    $("language-note").textContent = why ? title(state.language) + " cannot run on this server yet: " + why : "";
  }

  function setLanguage(language) {
    var before = state.language;
    state.language = language;
    $("language").value = language;
    var editor = EDITOR[language] || EDITOR.python;
    if (state.editor.setOption) {
      state.editor.setOption("mode", editor.mode);
      state.editor.setOption("indentUnit", editor.indent);
      state.editor.setOption("screenReaderLabel", title(language) + " code");
    }
    $("code-label").textContent = title(language) + " code";
    // Replace the editor's text only when it is the untouched starter or example of the other
    // language: what the learner wrote is never thrown away.
    if (language !== before && isStock(state.editor.getValue(), before)) {
      state.editor.setValue(editor.starter);
    }
    fillExamples();
    noteLanguage();
  }

  function isStock(code, language) {
    if (!code.trim() || (EDITOR[language] && code === EDITOR[language].starter)) { return true; }
    return Object.keys(state.examples).some(function (name) {
      return state.examples[name].language === language && state.examples[name].code === code;
    });
  }

  // The examples menu lists the current language's examples only.
  function fillExamples() {
    var select = $("example");
    var chosen = state.examples[select.value];
    select.length = 1;                     // keep "Choose an example…"
    Object.keys(state.examples).forEach(function (name) {
      var example = state.examples[name];
      if ((example.language || "python") !== state.language) { return; }
      var option = document.createElement("option");
      option.value = example.name;
      option.textContent = example.title;
      select.appendChild(option);
    });
    select.value = chosen && chosen.language === state.language ? chosen.name : "";
    if (!select.value) { $("example-note").textContent = ""; }
  }

  // -- small things ------------------------------------------------------------------------
  function pickExample() {
    var example = state.examples[$("example").value];
    if (!example) { $("example-note").textContent = ""; return; }
    if (example.language && example.language !== state.language) { setLanguage(example.language); }
    $("example").value = example.name;
    state.editor.setValue(example.code);
    describeExample();
  }

  // What the loaded example does under the hardened profile (what the examples promise), and
  // a plain warning when the learner's settings differ from it.
  function describeExample() {
    var example = state.examples[$("example").value];
    if (!example) { return; }
    var expect = BADGES[example.expect] ? BADGES[example.expect].text : example.expect;
    var note = "Loaded “" + example.title + "” (" + title(example.language || "python") +
      "). Under the hardened profile: " +
      expect + (example.control ? ", stopped by " + example.control : "") + ".";
    var profile = $("profile").value;
    var removed = removedControls();
    if (profile !== "hardened" || removed.length) {
      note += " You picked " + profile + (removed.length ? " without " + removed.join(", ") : "") +
        ", so the outcome may differ: run it and compare.";
    }
    $("example-note").textContent = note;
  }

  function countChars() {
    var max = state.config ? state.config.max_code_chars : 5000;
    // Code points, as the server counts them (an emoji is one character, not two UTF-16 units).
    var length = Array.from(state.editor.getValue()).length;
    var el = $("char-count");
    el.textContent = length + " / " + max + " characters";
    el.classList.toggle("over", length > max);
  }

  // Bytes in UTF-8, as the server counts them; the limit is the server's.
  function countStdin() {
    var max = state.config && state.config.max_stdin_bytes;
    var el = $("stdin-count");
    if (!max || typeof window.TextEncoder !== "function") { el.textContent = ""; return; }
    var size = new window.TextEncoder().encode($("stdin").value).length;
    el.textContent = size + " / " + max + " bytes";
    el.classList.toggle("over", size > max);
  }

  function togglePresenterSize() {
    var on = document.documentElement.classList.toggle("presenter");
    $("size").setAttribute("aria-pressed", on ? "true" : "false");
    try { window.localStorage.setItem("safe-python-presenter", on ? "1" : "0"); } catch (e) { /* private mode */ }
    if (state.editor.refresh) { state.editor.refresh(); }
  }

  function onKey(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  }

  function start() {
    state.editor = makeEditor();
    $("language").value = state.language;   // not a value the browser restored from an earlier visit
    try {
      if (window.localStorage.getItem("safe-python-presenter") === "1") { togglePresenterSize(); }
    } catch (e) { /* private mode */ }
    document.addEventListener("keydown", onKey);
    $("run").addEventListener("click", run);
    $("example").addEventListener("change", pickExample);
    $("language").addEventListener("change", function () { setLanguage($("language").value); });
    $("profile").addEventListener("change", function () {
      if (state.config) { showLimits(state.config.limits[$("profile").value]); }
      describeProfile();
      describeExample();
    });
    $("ablation-list").addEventListener("change", describeExample);
    $("size").addEventListener("click", togglePresenterSize);
    state.editor.on("change", countChars);
    $("stdin").addEventListener("input", countStdin);
    $("files").addEventListener("change", function () {
      var input = $("files");
      addFiles(input.files).then(function () { input.value = ""; });   // the same file may be picked again
    });
    watchDrops($("drop-zone"));
    Promise.all([loadConfig(), loadExamples(), checkHealth()])
      .catch(function () { $("message").textContent = "Could not load the page's settings from the server."; })
      .then(function () {
        countChars();
        document.body.setAttribute("data-ready", "true");   // for tests and curious readers
      });
  }

  document.addEventListener("DOMContentLoaded", start);
}());
