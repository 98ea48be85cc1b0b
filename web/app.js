// The page: a CodeMirror editor, the language and examples menus, and one /run request at a time.
// Everything the program printed is shown with textContent, never innerHTML: output is data.
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
    429: { text: "Busy", cls: "badge-busy" },
    503: { text: "Unavailable", cls: "badge-down" }
  };

  var HEALTH_TIMEOUT_MS = 6000;   // the server bounds its own checks to 3 s; this is for a dead server

  // What the editor needs to know of each language; /api/config says which ones the server runs.
  var EDITOR = {
    python: { mode: "python", indent: 4, starter: 'print("Hello World")\n' },
    javascript: { mode: "javascript", indent: 2, starter: 'console.log("Hello World")\n' }
  };

  var $ = function (id) { return document.getElementById(id); };
  var state = { running: false, config: null, examples: {}, editor: null, language: "python",
                titles: { python: "Python", javascript: "JavaScript" }, unavailable: {} };

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

  function loadConfig() {
    return getJSON("/api/config").then(function (config) {
      state.config = config;
      fillProfiles(config.profiles);
      if (config.languages) { fillLanguages(config.languages); }
      if (config.allow_ablation) { showAblation(config.controls); }
      showLimits(config.limits[$("profile").value] || config.limits.hardened);
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
    var code = state.editor.getValue();
    var body = { code: code, language: state.language };
    var profile = $("profile").value;
    if (profile !== "hardened") { body.profile = profile; }
    var removed = removedControls();
    if (removed.length) { body.without = removed; }

    setRunning(true);
    var started = Date.now();
    var limit = state.config && state.config.limits[profile] ? state.config.limits[profile].timeout_s : null;
    // The clock starts at the click, so it includes any wait in the server's queue; the limit
    // only counts the program's own running time.
    var ticker = window.setInterval(function () {
      $("elapsed").textContent = ((Date.now() - started) / 1000).toFixed(1) + " s since Run" +
        (limit ? " (the program itself may run at most " + limit + " s)" : "");
    }, 200);

    fetch("/run", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body)
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { status: response.status, data: data, headers: response.headers }; },
          function () { return { status: response.status, data: { error: "The server sent an unreadable answer." } }; });
      })
      .then(function (answer) {
        if (answer.status === 200) { showResult(answer.data); }
        else { showRefusal(answer); }
      })
      .catch(function () {
        showRefusal({ status: 0, data: { error: "Could not reach the server. Is it still running?" } });
      })
      .then(function () {
        window.clearInterval(ticker);
        $("elapsed").textContent = "";
        setRunning(false);
      });
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

  function showResult(data) {
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
    showLimits(data.limits);
  }

  function showRefusal(answer) {
    var badge = REFUSALS[answer.status] || { text: answer.status ? "Refused" : "No answer", cls: "badge-down" };
    setBadge(badge);
    var message = (answer.data && answer.data.error) || "The request failed.";
    if (answer.status === 429 && answer.headers && answer.headers.get("Retry-After")) {
      message += " Try again in " + answer.headers.get("Retry-After") + " s.";
    }
    $("message").textContent = message;
    ["stopped-by", "exit-code", "duration", "profile-used", "language-used"].forEach(function (id) { $(id).textContent = "–"; });
    $("stdout").textContent = "";
    $("stderr").textContent = "";
    if (answer.status === 503) { checkHealth(); }
  }

  function setBadge(badge) {
    var el = $("badge");
    el.textContent = badge.text;
    el.className = "badge " + badge.cls;
  }

  // -- limits, profiles, ablation -------------------------------------------------------
  function showLimits(limits) {
    var list = $("limits");
    list.textContent = "";
    var inForce = limits.controls || [];
    var all = state.config ? state.config.controls.map(function (c) { return c.name; }) : inForce;
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

  function fillProfiles(profiles) {
    var select = $("profile");
    select.textContent = "";
    profiles.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name;
      option.textContent = name;
      select.appendChild(option);
    });
    select.value = "hardened";
  }

  function showAblation(controls) {
    $("ablation-banner").hidden = false;
    $("ablation").hidden = false;
    var list = $("ablation-list");
    controls.forEach(function (control) {
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
      describeExample();
    });
    $("ablation-list").addEventListener("change", describeExample);
    $("size").addEventListener("click", togglePresenterSize);
    state.editor.on("change", countChars);
    Promise.all([loadConfig(), loadExamples(), checkHealth()])
      .catch(function () { $("message").textContent = "Could not load the page's settings from the server."; })
      .then(function () {
        countChars();
        document.body.setAttribute("data-ready", "true");   // for tests and curious readers
      });
  }

  document.addEventListener("DOMContentLoaded", start);
}());
