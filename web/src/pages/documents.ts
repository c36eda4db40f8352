// "My documents": identity status, upload with type/size hints, list, download, delete, submit.

import type { DocumentInfo, Me, Verification } from "../api";
import type { Context, PageView } from "../context";
import { button, h, heading, replaceChildren } from "../dom";
import { busy, clearError, errorBox, showError, statusBox } from "../forms";
import { fileTypeLabel, formatBytes, formatDate, identityLabel, kindLabel, reasonLabel } from "./labels";
import { uploadSection } from "./upload";

// Where the identity check stands: one sentence per status, shown once, beside the badge.
const NEXT_STEP: Record<string, string> = {
  not_started: "Upload the documents below, then submit them for review.",
  submitted: "A reviewer will look at your documents soon; the result will appear here.",
  in_review: "A reviewer is looking at your documents; the result will appear here.",
  approved: "Your identity is verified. There is nothing more to do.",
  rejected: "Upload new documents, then submit them again.",
  resubmission_requested: "Upload new documents, then submit them again.",
};
const OPEN = new Set(["not_started", "rejected", "resubmission_requested"]);

// What a submission needs per role, as alternatives (the server's rule, for the page's words).
const REQUIRED: Record<string, string[][]> = {
  worker: [["id_card", "passport"], ["police_clearance"]],
  employer: [["id_card", "passport"]],
};

function requirementText(me: Me): string {
  return me.role === "worker"
    ? "Workers need a national ID card or passport, and a police clearance certificate."
    : "Employers need a national ID card or passport.";
}

/** The page's own sentence for a submission refused for missing documents. */
function missingText(me: Me, documents: DocumentInfo[]): string {
  const have = new Set(documents.filter((d) => d.status === "active").map((d) => d.kind));
  const missing = (REQUIRED[me.role] ?? [])
    .filter((kinds) => !kinds.some((k) => have.has(k)))
    .map((kinds) => kinds.map(kindLabel).join(" or "));
  if (missing.length === 0) return `Some required documents are missing. ${requirementText(me)}`;
  return `Upload these before you submit: ${missing.join("; ")}.`;
}

function statusSection(me: Me, verification: Verification | null): HTMLElement[] {
  const parts: HTMLElement[] = [
    h(
      "div",
      { class: "identity", "data-identity-status": me.identity_status },
      h(
        "p",
        {},
        "Identity: ",
        h("strong", { class: `badge badge-${me.identity_status}` }, identityLabel(me.identity_status)),
      ),
      h("p", { class: "identity-next" }, NEXT_STEP[me.identity_status] ?? ""),
    ),
  ];
  if (verification?.reason_code && OPEN.has(me.identity_status)) {
    parts.push(h("p", {}, `Reviewer's reason: ${reasonLabel(verification.reason_code)}.`));
  }
  if (!me.email_verified || !me.phone_verified) {
    parts.push(
      h(
        "p",
        { class: "notice" },
        "Confirm your ",
        !me.email_verified ? h("a", { href: "#/verify-email" }, "email address") : null,
        !me.email_verified && !me.phone_verified ? " and " : null,
        !me.phone_verified ? h("a", { href: "#/verify-phone" }, "phone number") : null,
        " before uploading documents.",
      ),
    );
  }
  return parts;
}

export async function documentsPage(ctx: Context): Promise<PageView> {
  const status = h("div", { class: "status-panel" });
  const listArea = h("div", { class: "document-list" });
  const listStatus = statusBox();
  const listErrors = errorBox();
  const submitArea = h("div");
  const submitStatus = statusBox();
  let me: Me = ctx.me ?? (await ctx.api.me());
  let current: DocumentInfo[] = [];

  async function refresh(): Promise<void> {
    const [fresh, documents, verification] = await Promise.all([ctx.api.me(), ctx.api.documents(), ctx.api.myVerification()]);
    me = fresh;
    ctx.me = fresh;
    replaceChildren(status, ...statusSection(me, verification));
    current = documents;
    replaceChildren(listArea, documentTable(documents.filter((d) => d.status === "active")));
    replaceChildren(submitArea, submitBlock());
  }

  function documentTable(documents: DocumentInfo[]): HTMLElement {
    if (documents.length === 0) return h("p", {}, "You have not uploaded any documents yet.");
    const rows = documents.map((doc) => {
      const name = `${kindLabel(doc.kind)}, version ${doc.version}`;
      const download = button("Download", { "aria-label": `Download ${name}` });
      const remove = button("Delete", { class: "danger", "aria-label": `Delete ${name}` });
      download.addEventListener("click", () => void busy(download, () => downloadDocument(doc)));
      remove.addEventListener("click", () => void busy(remove, () => deleteDocument(doc, name)));
      return h(
        "tr",
        { "data-document-id": doc.id },
        h("th", { scope: "row" }, kindLabel(doc.kind)),
        h("td", {}, String(doc.version)),
        h("td", {}, fileTypeLabel(doc.content_type)),
        h("td", {}, formatBytes(doc.size)),
        h("td", {}, formatDate(doc.uploaded_at)),
        h("td", { class: "actions" }, download, remove),
      );
    });
    const head = ["Document", "Version", "Type", "Size", "Uploaded", "Actions"].map((t) => h("th", { scope: "col" }, t));
    return h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, "Your uploaded documents"),
      h("thead", {}, h("tr", {}, ...head)),
      h("tbody", {}, ...rows),
    );
  }

  async function downloadDocument(doc: DocumentInfo): Promise<void> {
    clearError(listErrors);
    try {
      const link = await ctx.api.downloadLink(doc.id);
      const anchor = h("a", { href: link.url, download: "", hidden: true });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      listStatus.textContent = `Downloading ${kindLabel(doc.kind)}. The link works for a few minutes.`;
    } catch (err) {
      showError(listErrors, err);
    }
  }

  async function deleteDocument(doc: DocumentInfo, name: string): Promise<void> {
    clearError(listErrors);
    if (!window.confirm(`Delete ${name}? This cannot be undone.`)) return;
    try {
      await ctx.api.deleteDocument(doc.id);
      await refresh();
      listStatus.textContent = `${name} was deleted.`;
    } catch (err) {
      showError(listErrors, err);
    }
  }

  function submitBlock(): HTMLElement {
    // Only while a submission is possible: otherwise the identity card above says it all.
    if (!OPEN.has(me.identity_status)) return h("div");
    const errors = errorBox();
    const submit = h("button", { type: "button" }, "Submit for review");
    submit.addEventListener("click", () =>
      void busy(submit, async () => {
        clearError(errors);
        try {
          await ctx.api.submitForReview();
          await refresh();
          submitStatus.textContent = "Submitted for review.";
          document.querySelector<HTMLElement>("#submit-heading")?.focus();
        } catch (err) {
          showError(errors, err, undefined, { "invalid-input": missingText(me, current) });
        }
      }),
    );
    return h("div", {}, h("p", {}, requirementText(me)), errors, submit);
  }

  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading("My documents"),
    h("section", { "aria-label": "Identity check" }, status),
    uploadSection(ctx, refresh),
    h("section", { "aria-labelledby": "list-heading" }, h("h2", { id: "list-heading" }, "Your documents"), listErrors, listStatus, listArea),
    h("section", { "aria-labelledby": "submit-heading" }, h("h2", { id: "submit-heading", tabindex: -1 }, "Identity review"), submitStatus, submitArea),
  );
  await refresh();
  return { title: "My documents", root };
}
