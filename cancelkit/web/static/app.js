// cancelkit serve: the page's one script (no library, nothing from the internet).
// Every state-changing request carries the page's CSRF token; every text the server sends
// is put into the page as text (textContent), never as HTML.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  function notice(text) {
    const box = document.getElementById("notice");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    }).then(async (answer) => {
      const data = await answer.json().catch(() => ({ error: answer.statusText }));
      if (!answer.ok) throw new Error(data.error || answer.statusText);
      return data;
    });
  }

  function upload(form, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open("POST", form.dataset.action);
      request.setRequestHeader("X-CSRF-Token", csrf);
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      };
      request.onload = () => {
        let data = {};
        try { data = JSON.parse(request.responseText); } catch (e) { data = { error: request.responseText }; }
        if (request.status >= 400) reject(new Error(data.error || request.statusText));
        else resolve(data);
      };
      request.onerror = () => reject(new Error("the server could not be reached"));
      request.send(new FormData(form));
    });
  }

  function follow(jobId, onUpdate) {
    return new Promise((resolve, reject) => {
      const tick = () => {
        fetch("/jobs/" + encodeURIComponent(jobId), { credentials: "same-origin" })
          .then((answer) => answer.json())
          .then((job) => {
            onUpdate(job);
            if (job.state === "done") resolve(job);
            else if (job.state === "failed") reject(new Error(job.error));
            else setTimeout(tick, 300);
          })
          .catch(reject);
      };
      tick();
    });
  }

  // -- load ------------------------------------------------------------------------------
  function setupLoad() {
    const form = document.getElementById("load-form");
    if (!form) return;
    const bar = document.getElementById("progress");
    const text = document.getElementById("progress-text");
    const error = document.getElementById("load-error");
    const drop = document.getElementById("drop");
    drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("over");
      document.getElementById("inputs").files = event.dataTransfer.files;
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      error.hidden = true;
      bar.hidden = false;
      bar.removeAttribute("value");
      text.textContent = "uploading...";
      upload(form, (loaded, total) => {
        bar.max = total;
        bar.value = loaded;
        text.textContent = "uploading: " + Math.round((100 * loaded) / total) + "%";
      })
        .then((data) => follow(data.job, (job) => {
          bar.removeAttribute("value");
          const p = job.progress || {};
          text.textContent = p.file ? "reading " + p.file + ": row " + p.row.toLocaleString() : "reading and checking...";
        }))
        .then((job) => { window.location.assign(job.then); })
        .catch((problem) => {
          bar.hidden = true;
          text.textContent = "";
          error.textContent = problem.message;
          error.hidden = false;
        });
    });
  }

  // -- decide ----------------------------------------------------------------------------
  function showProjection(list) {
    for (const m of list) {
      const row = document.getElementById("proj-" + m.marketplace);
      if (!row) continue;
      row.className = m.over ? "over" : "under";
      row.querySelector('[data-field="rate_after"]').textContent = m.rate_after_text;
      const over = row.querySelector('[data-field="over"]');
      over.textContent = m.over ? "over the target" : "under the target";
      over.className = "tag " + (m.over ? "risk-high" : "risk-none");
      row.querySelector('[data-field="counting_orders"]').textContent = m.counting_orders;
      row.querySelector('[data-field="headroom"]').textContent = m.headroom;
    }
  }

  function setupDecide() {
    const holder = document.getElementById("batch");
    if (!holder) return;
    const base = "/b/" + encodeURIComponent(holder.dataset.batch);
    const visible = () => Array.from(document.querySelectorAll("#rows tr[data-token]"), (r) => r.dataset.token);
    const apply = (data) => {
      holder.dataset.version = data.version;
      document.getElementById("approved-count").textContent = data.approved;
      for (const [token, yes] of Object.entries(data.states || {})) {
        const row = document.querySelector('#rows tr[data-token="' + CSS.escape(token) + '"] input.approve');
        if (row) row.checked = yes;
      }
      showProjection(data.projection || []);
      notice(data.notice);
    };
    const save = (url, body) =>
      post(url, Object.assign({ version: Number(holder.dataset.version), visible: visible() }, body))
        .then(apply)
        .catch((problem) => notice(problem.message));
    document.querySelectorAll("#rows input.approve").forEach((box) => {
      box.addEventListener("change", () => {
        const token = box.closest("tr").dataset.token;
        save(base + "/approvals", { changes: { [token]: box.checked } });
      });
    });
    for (const [id, yes] of [["approve-filter", true], ["hold-filter", false]]) {
      const button = document.getElementById(id);
      if (button) button.addEventListener("click", () =>
        save(base + "/approve-filter", { approve: yes, filter: JSON.parse(button.dataset.filter) }));
    }
    setupLeave(base);
  }

  // -- leave -----------------------------------------------------------------------------
  function setupLeave(base) {
    const button = document.getElementById("leave-button");
    const status = document.getElementById("leave-status");
    const error = document.getElementById("leave-error");
    button.addEventListener("click", () => {
      error.hidden = true;
      status.textContent = "writing the upload file...";
      post(base + "/leave", {
        ledger: document.getElementById("record-ledger").checked,
        allow_over_target: document.getElementById("allow-over").checked,
      })
        .then((data) => follow(data.job, () => {}))
        .then(() => { window.location.assign(base + "#leave"); window.location.reload(); })
        .catch((problem) => {
          status.textContent = "";
          error.textContent = problem.message;
          error.hidden = false;
        });
    });
    const send = document.getElementById("send-button");
    if (!send) return;
    const out = document.getElementById("send-status");
    send.addEventListener("click", () => {
      send.disabled = true;
      out.hidden = false;
      out.textContent = "sending...";
      post(base + "/send", {})
        .then((data) => follow(data.job, (job) => { out.textContent = job.lines.join("\n") || "sending..."; }))
        .then((job) => { out.textContent = job.lines.join("\n"); out.dataset.done = "1"; })
        .catch((problem) => { out.textContent += "\n" + problem.message; out.dataset.done = "1"; send.disabled = false; });
    });
  }

  // -- history: reconcile a dropped processing report -------------------------------------
  function setupReconcile() {
    const form = document.getElementById("reconcile-form");
    if (!form) return;
    const error = document.getElementById("reconcile-error");
    const out = document.getElementById("reconcile-outcome");
    const link = document.getElementById("retry-link");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      error.hidden = true;
      upload(form, () => {})
        .then((data) => {
          out.textContent = data.text;
          out.hidden = false;
          if (data.retry_url) {
            document.getElementById("retry-href").href = data.retry_url;
            link.hidden = false;
          }
        })
        .catch((problem) => { error.textContent = problem.message; error.hidden = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    setupLoad();
    setupDecide();
    setupReconcile();
  });
})();
