// Reviewer queue: pending identity submissions, their documents, and a decision for each.

import type { DecisionName, DocumentInfo, Verification } from "../api";
import type { Context, PageView } from "../context";
import { button, h, heading, replaceChildren, uid } from "../dom";
import { busy, clearError, errorBox, showError, showMessage, statusBox } from "../forms";
import { REJECTION_REASONS, fileTypeLabel, formatBytes, formatDate, identityLabel, kindLabel } from "./labels";

const DECISIONS: ReadonlyArray<[DecisionName, string]> = [
  ["approve", "Approve"],
  ["reject", "Reject"],
  ["request_resubmission", "Request resubmission"],
];

function documentItem(ctx: Context, id: string, errors: HTMLElement): HTMLLIElement {
  const item = h("li", { "data-document-id": id }, `Document ${id.slice(0, 8)}… `);
  const download = button("Download", { class: "secondary", "aria-label": `Download document ${id.slice(0, 8)}` });
  download.addEventListener("click", () =>
    void busy(download, async () => {
      try {
        const link = await ctx.api.adminDownloadLink(id);
        const anchor = h("a", { href: link.url, download: "", hidden: true });
        document.body.append(anchor);
        anchor.click();
        anchor.remove();
      } catch (err) {
        showError(errors, err);
      }
    }),
  );
  item.append(download);
  // Metadata views are audited like downloads; they are what the reviewer is here to see.
  ctx.api.adminDocument(id).then(
    (doc: DocumentInfo) => {
      item.firstChild?.replaceWith(
        `${kindLabel(doc.kind)} (version ${doc.version}, ${fileTypeLabel(doc.content_type)}, ${formatBytes(doc.size)}) `,
      );
      download.setAttribute("aria-label", `Download ${kindLabel(doc.kind)}`);
    },
    (err: unknown) => showError(errors, err),
  );
  return item;
}

function decisionForm(ctx: Context, v: Verification, onDone: (message: string) => void): HTMLFormElement {
  const reasonId = uid("reason");
  const noteId = uid("note");
  const reason = h(
    "select",
    { id: reasonId, name: "reason", "aria-describedby": `${reasonId}-hint` },
    h("option", { value: "" }, "Choose a reason"),
    ...REJECTION_REASONS.map(([value, label]) => h("option", { value }, label)),
  );
  const note = h("textarea", { id: noteId, name: "note", rows: 2, maxlength: 1000 });
  const errors = errorBox();
  const buttons = DECISIONS.map(([decision, label]) =>
    h("button", { type: "submit", value: decision, class: decision === "approve" ? "" : "secondary" }, label),
  );
  const form = h(
    "form",
    { class: "decision", "aria-label": `Decision on submission ${v.id.slice(0, 8)}` },
    h(
      "div",
      { class: "field" },
      h("label", { for: reasonId }, "Reason"),
      h("p", { id: `${reasonId}-hint`, class: "hint" }, "Required to reject or to request resubmission."),
      reason,
    ),
    h("div", { class: "field" }, h("label", { for: noteId }, "Note for the record (optional)"), note),
    errors,
    h("div", { class: "actions" }, ...buttons),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors, form);
    const pressed = (event as SubmitEvent).submitter;
    const decision = (pressed instanceof HTMLButtonElement ? pressed.value : "") as DecisionName;
    if (decision !== "approve" && !reason.value) {
      showMessage(errors, "Choose a reason to reject or to request resubmission.");
      reason.focus();
      return;
    }
    const control = pressed instanceof HTMLButtonElement ? pressed : buttons[0];
    if (!control) return;
    void busy(control, async () => {
      try {
        const chosen = decision === "approve" ? null : reason.value;
        const result = await ctx.api.decide(v.id, decision, chosen, note.value.trim() || null);
        onDone(`Submission ${v.id.slice(0, 8)}: ${identityLabel(result.status)}.`);
      } catch (err) {
        showError(errors, err, form);
      }
    });
  });
  return form;
}

export function reviewPage(ctx: Context): PageView {
  const list = h("div", { class: "queue" });
  const status = statusBox();
  const errors = errorBox();
  const reload = button("Refresh the queue", { class: "secondary" });

  async function load(): Promise<void> {
    clearError(errors);
    let queue: Verification[];
    try {
      queue = await ctx.api.queue();
    } catch (err) {
      showError(errors, err);
      return;
    }
    if (queue.length === 0) {
      replaceChildren(list, h("p", {}, "No submissions are waiting for review."));
      return;
    }
    replaceChildren(list, ...queue.map((v) => entry(v)));
  }

  function entry(v: Verification): HTMLElement {
    const itemErrors = errorBox();
    const titleId = uid("submission");
    const article = h(
      "article",
      { class: "card", "aria-labelledby": titleId, "data-verification-id": v.id },
      h("h2", { id: titleId }, `Submission ${v.id.slice(0, 8)}`),
      h("p", {}, `Account ${v.account_id.slice(0, 8)}…, submitted ${formatDate(v.submitted_at)}.`),
      h("p", {}, "Status: ", h("strong", {}, identityLabel(v.status)), "."),
      h("ul", { class: "documents" }, ...v.document_ids.map((id) => documentItem(ctx, id, itemErrors))),
      itemErrors,
    );
    article.append(
      decisionForm(ctx, v, (message) => {
        status.textContent = message;
        article.remove();
        if (!list.querySelector("article")) replaceChildren(list, h("p", {}, "No submissions are waiting for review."));
        document.getElementById("page-title")?.focus();
      }),
    );
    return article;
  }

  reload.addEventListener("click", () => void busy(reload, load));
  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading("Review queue"),
    h("p", {}, "Oldest first. Open each document before deciding; every view and download is audited."),
    status,
    errors,
    reload,
    list,
  );
  return { title: "Review queue", root, mounted: () => void load() };
}
