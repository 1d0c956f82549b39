// Residents' pages: copying the private link, checks on chosen photos (the phone's location:
// locate.js, loaded with the maps).
// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  function copier(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      function done(ok) {
        button.textContent = ok ? "已复制" : "请长按链接复制";
        setTimeout(function () { button.textContent = "复制链接"; }, 2500);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(false); });
        return;
      }
      input.focus();
      input.select();
      input.setSelectionRange(0, input.value.length);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    });
  }

  function photoCheck(input) {
    var hint = document.getElementById(input.getAttribute("data-hint"));
    var max = parseInt(input.getAttribute("data-max-count"), 10) || 9;
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
    if (!hint) { return; }
    input.addEventListener("change", function () {
      var files = input.files || [];
      var big = [];
      for (var i = 0; i < files.length; i++) {
        if (maxBytes && files[i].size > maxBytes) { big.push(files[i].name); }
      }
      if (files.length > max) {
        hint.textContent = "最多" + max + "张，您选择了" + files.length + "张，请重新选择";
      } else if (big.length) {
        hint.textContent = "以下照片太大，请压缩后再选：" + big.join("、");
      } else {
        hint.textContent = files.length ? "已选择" + files.length + "张照片" : "";
      }
    });
  }

  function counter(textarea) {
    var out = document.getElementById(textarea.getAttribute("data-counter"));
    var max = textarea.getAttribute("maxlength");
    if (!out) { return; }
    function update() { out.textContent = textarea.value.length + (max ? " / " + max : "") + " 字"; }
    textarea.addEventListener("input", update);
    update();
  }

  // A "跟进这一条" button (in the similar-concerns box) submits the report form elsewhere: the text
  // goes with the resident to the follow page, and the report is not being sent.
  function carries(event) {
    return Boolean(event.submitter && event.submitter.name === "carry");
  }

  // Feedback while photos upload on a slow connection; the form's one-time key already makes a
  // second tap harmless. Re-enabled when the page comes back from the browser's history.
  function submitOnce(form) {
    var button = form.querySelector("button[type=submit]");
    if (!button) { return; }
    var label = button.textContent;
    form.addEventListener("submit", function (event) {
      if (carries(event)) { return; }
      setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
    });
    window.addEventListener("pageshow", function () { button.disabled = false; button.textContent = label; });
  }

  // What the resident typed survives leaving the page for "跟进这一条" (or any link) and coming
  // back in the same tab: kept in sessionStorage, put back into an empty form, cleared on submit.
  var KEPT = "zhenwu-report-typed";
  var KEPT_FIELDS = ["text", "category", "town", "area"];

  function keepTyped(form) {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEPT) || "null"); } catch (e) { saved = null; }
    var text = form.elements.text;
    if (saved && text && !text.value) {
      KEPT_FIELDS.forEach(function (name) {
        var el = form.elements[name];
        if (el && saved[name]) { el.value = saved[name]; }
      });
      text.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function save() {
      var data = {};
      KEPT_FIELDS.forEach(function (name) {
        var el = form.elements[name];
        if (el && el.value) { data[name] = el.value; }
      });
      try { sessionStorage.setItem(KEPT, JSON.stringify(data)); } catch (e) { /* private mode */ }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (event) {
      if (carries(event)) { return; }  // off to follow another concern: keep it for coming back
      try { sessionStorage.removeItem(KEPT); } catch (e) { /* ignore */ }
    });
  }

  // The similar-concern panel refreshes when the place changes. The place select is swapped when
  // the town changes, and htmx's trigger filters need eval (forbidden by the CSP), so a change of
  // any field named "area" is passed on as one event, "area-changed", on the panel.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.name === "area" && window.htmx) {
      var panel = document.getElementById("similar");
      if (panel) { window.htmx.trigger(panel, "area-changed"); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-keep-typed]").forEach(keepTyped);
    document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
    document.querySelectorAll("[data-copy]").forEach(copier);
    document.querySelectorAll("input[type=file][data-hint]").forEach(photoCheck);
    document.querySelectorAll("textarea[data-counter]").forEach(counter);
  });
})();
