// The upload form: kind, file, and hints before anything leaves the browser.

import type { Context } from "../context";
import { h, uid } from "../dom";
import { busy, clearError, errorBox, showError, showMessage, statusBox } from "../forms";
import { DOCUMENT_KINDS, fileTypeLabel, formatBytes, kindLabel } from "./labels";

const ACCEPTED_TYPES = ["application/pdf", "image/png", "image/jpeg"];
const ACCEPTED_EXTENSIONS = [".pdf", ".png", ".jpg", ".jpeg"];

function tooLarge(size: number, maxBytes: number): string {
  return `This file is ${formatBytes(size)}; the limit is ${formatBytes(maxBytes)}. Try a smaller scan or a JPEG photo.`;
}

/** A hint before upload; the server still decides the type from the bytes. */
export function checkFile(file: File, maxBytes: number): string | null {
  if (file.size === 0) return "This file is empty. Choose the scan or photo of your document.";
  if (file.size > maxBytes) return tooLarge(file.size, maxBytes);
  const name = file.name.toLowerCase();
  const typeOk = ACCEPTED_TYPES.includes(file.type);
  const extensionOk = ACCEPTED_EXTENSIONS.some((ext) => name.endsWith(ext));
  if (!typeOk && !extensionOk) {
    return "Only PDF, JPEG or PNG files can be uploaded. Save or export the document in one of those formats.";
  }
  return null;
}

export function uploadSection(ctx: Context, refresh: () => Promise<void>): HTMLElement {
  // The server's cap (MAX_UPLOAD_BYTES), from /api/v1/config.
  const maxBytes = ctx.config.max_upload_bytes;
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
      h("p", { id: hintId, class: "hint" }, `PDF, JPEG or PNG, up to ${formatBytes(maxBytes)}. A clear photo or scan of the whole document.`),
      file,
    ),
    errors,
    status,
    submit,
  );
  file.addEventListener("change", () => {
    clearError(errors);
    const chosen = file.files?.[0];
    const problem = chosen ? checkFile(chosen, maxBytes) : null;
    if (problem) showMessage(errors, problem);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors, form);
    const chosen = file.files?.[0];
    if (!chosen) return showMessage(errors, "Choose a file to upload.");
    const problem = checkFile(chosen, maxBytes);
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
        const words = { "payload-too-large": tooLarge(chosen.size, maxBytes) };
        showError(errors, err, form, words);
      }
    });
  });
  return h("section", { "aria-labelledby": "upload-heading" }, h("h2", { id: "upload-heading" }, "Upload a document"), form);
}
