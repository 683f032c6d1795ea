// lanjie workbench: copy buttons, live countdowns, upload progress. No build step.
"use strict";

document.addEventListener("htmx:configRequest", (event) => {
  event.detail.headers["X-CSRF-Token"] = document.body.dataset.csrf;
});
document.addEventListener("DOMContentLoaded", () => {
  // Show error responses (400, 403, 409 …) in place: they carry the message to read.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "[45]..", swap: true, error: true },
  ];
  setUpUpload();
  tick();
  setInterval(tick, 30000);
});
document.addEventListener("htmx:afterSettle", tick);

// --- copy: the clipboard API, else select the text so Ctrl+C copies it
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const text = source.textContent;
  const label = button.textContent;
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch (error) {
    copied = copyBySelecting(source);
  }
  button.textContent = copied ? "已复制" : "已选中，按 Ctrl+C 复制";
  button.classList.toggle("copied", copied);
  setTimeout(() => { button.textContent = label; button.classList.remove("copied"); }, 2500);
});

function copyBySelecting(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  try { return document.execCommand("copy"); } catch (error) { return false; }
}

// --- countdowns to 自动处理截止时间
function tick() {
  const now = Date.now();
  for (const holder of document.querySelectorAll("[data-deadline]")) {
    if (!holder.dataset.deadline) continue;
    const left = (Date.parse(holder.dataset.deadline) - now) / 3600000;
    const urgentHours = parseFloat(holder.dataset.urgentHours || "12");
    const cell = holder.querySelector(".countdown");
    if (cell) cell.textContent = describe(left);
    holder.classList.toggle("overdue", left < 0);
    holder.classList.toggle("urgent", left >= 0 && left < urgentHours);
  }
}

function describe(hours) {
  const minutes = Math.round(Math.abs(hours) * 60);
  const text = minutes >= 60 ? `${Math.floor(minutes / 60)} 小时 ${minutes % 60} 分` : `${minutes} 分`;
  return hours < 0 ? `已超时 ${text}` : `剩 ${text}`;
}

// --- upload: drag and drop, and a progress bar while the file travels
function setUpUpload() {
  const form = document.getElementById("upload");
  if (!form) return;
  const drop = document.getElementById("drop");
  const input = document.getElementById("files");
  const chosen = document.getElementById("chosen");
  const show = () => { chosen.textContent = Array.from(input.files).map((f) => f.name).join("、"); };
  input.addEventListener("change", show);
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => { event.preventDefault(); drop.classList.add("over"); });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    input.files = event.dataTransfer.files;
    show();
  });
  const box = document.getElementById("progress");
  const bar = document.getElementById("progress-bar");
  const text = document.getElementById("progress-text");
  form.addEventListener("htmx:xhr:progress", (event) => {
    box.hidden = false;
    if (!event.detail.lengthComputable) return;
    const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.value = percent;
    text.textContent = percent < 100 ? `上传 ${percent}%` : "上传完成，正在读取和记进台账…";
  });
  form.addEventListener("htmx:afterRequest", () => { box.hidden = true; bar.value = 0; });
}

// The shop picker submits its form when a shop is chosen (no inline handler: the CSP forbids them).
document.addEventListener("change", (event) => {
  const picker = event.target.closest && event.target.closest("[data-submit-on-change]");
  if (picker && picker.form) picker.form.submit();
});

// A form that costs money or cannot be undone (平台拦截, 写入抖店, 断开) asks first: its
// data-confirm is the question. Listened to while capturing, before htmx sees the submit.
document.addEventListener("submit", (event) => {
  const form = event.target.closest && event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
