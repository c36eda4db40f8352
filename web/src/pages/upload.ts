// The upload form: kind, file, and hints before anything leaves the browser.

import type { Context } from "../context";
import { h, uid } from "../dom";
import { busy, clearError, errorBox, showError, showMessage, statusBox } from "../forms";
import { DOCUMENT_KINDS, fileTypeLabel, formatBytes, kindLabel } from "./labels";

const MAX_BYTES = 10 * 1024 * 1024;
const ACCEPTED_TYPES = ["application/pdf", "image/png", "image/jpeg"];
const ACCEPTED_EXTENSIONS = [".pdf", ".png", ".jpg", ".jpeg"];

/** A hint before upload; the server still decides the type from the bytes. */
export function checkFile(file: File): string | null {
  if (file.size === 0) return "This file is empty. Choose the scan or photo of your document.";
  if (file.size > MAX_BYTES) {
    return `This file is ${formatBytes(file.size)}; the limit is 10 MiB. Try a smaller scan or a JPEG photo.`;
  }
  const name = file.name.toLowerCase();
  const typeOk = ACCEPTED_TYPES.includes(file.type);
  const extensionOk = ACCEPTED_EXTENSIONS.some((ext) => name.endsWith(ext));
  if (!typeOk && !extensionOk) {
    return "Only PDF, JPEG or PNG files can be uploaded. Save or export the document in one of those formats.";
  }
  return null;
}

export function uploadSection(ctx: Context, refresh: () => Promise<void>): HTMLElement {
  const kindId = uid("kind");
  const fileId = uid("file");
  const hintId = `${fileId}-hint`;
  const kind = h(
    "select",
    { id: kindId, name: "kind", required: true },
    ...DOCUMENT_KINDS.map(([value, label]) => h("option", { value }, label)),
  );
  const file = h("input", {
    id: fileId,
    name: "file",
    type: "file",
    required: true,
    accept: [...ACCEPTED_TYPES, ...ACCEPTED_EXTENSIONS].join(","),
    "aria-describedby": hintId,
  });
  const errors = errorBox();
  const status = statusBox();
  const submit = h("button", { type: "submit" }, "Upload");
  const form = h(
    "form",
    {},
    h("div", { class: "field" }, h("label", { for: kindId }, "Document type"), kind),
    h(
      "div",
      { class: "field" },
      h("label", { for: fileId }, "File"),
      h("p", { id: hintId, class: "hint" }, "PDF, JPEG or PNG, up to 10 MiB. A clear photo or scan of the whole document."),
      file,
    ),
    errors,
    status,
    submit,
  );
  file.addEventListener("change", () => {
    clearError(errors);
    const chosen = file.files?.[0];
    const problem = chosen ? checkFile(chosen) : null;
    if (problem) showMessage(errors, problem);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors, form);
    const chosen = file.files?.[0];
    if (!chosen) return showMessage(errors, "Choose a file to upload.");
    const problem = checkFile(chosen);
    if (problem) return showMessage(errors, problem);
    void busy(submit, async () => {
      status.textContent = "Uploading…";
      try {
        const doc = await ctx.api.upload(kind.value, chosen);
        form.reset();
        await refresh();
        status.textContent = `Uploaded ${kindLabel(doc.kind)} (${fileTypeLabel(doc.content_type)}, ${formatBytes(doc.size)}).`;
      } catch (err) {
        status.textContent = "";
        showError(errors, err, form);
      }
    });
  });
  return h("section", { "aria-labelledby": "upload-heading" }, h("h2", { id: "upload-heading" }, "Upload a document"), form);
}
