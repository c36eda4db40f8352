// Support ("I never got the SMS"): find an account, see its deliveries and audit trail, and
// lock, unlock, sign out everywhere or resend, each with a reason that goes in the audit trail.

import type { AccountSummary, Dossier, SupportActionName, SupportActionResult } from "../api";
import type { Context, PageView } from "../context";
import { button, field, h, heading, replaceChildren, uid } from "../dom";
import { busy, clearError, errorBox, showError, showMessage, statusBox } from "../forms";
import { formatDate, identityLabel } from "./labels";

const MAX_REASON = 500; // MAX_REASON_LENGTH on the server

const ACTIONS: ReadonlyArray<[SupportActionName, string, (a: AccountSummary) => boolean]> = [
  ["lock", "Lock account", (a) => a.status !== "suspended"],
  ["unlock", "Unlock account", (a) => a.status === "suspended"],
  ["sign-out-everywhere", "Sign out everywhere", () => true],
  ["resend", "Resend code", () => true],
];

const STATUS: Record<string, string> = {
  active: "active",
  pending: "waiting for email confirmation",
  suspended: "locked",
  deleted: "deleted",
};

const yesNo = (value: boolean): string => (value ? "yes" : "no");

function done(action: SupportActionName, result: SupportActionResult): string {
  const sessions = result.sessions_revoked ?? 0;
  const signedOut = `${sessions} session${sessions === 1 ? " was" : "s were"} signed out.`;
  switch (action) {
    case "lock":
      return `Locked. ${signedOut}`;
    case "unlock":
      return "Unlocked. The account can sign in again.";
    case "sign-out-everywhere":
      return `Done. ${signedOut}`;
    case "resend":
      return result.action === "requeued"
        ? `The waiting ${result.channel === "sms" ? "text" : "email"} was queued again.`
        : `A new ${result.channel === "sms" ? "text" : "email"} code was queued.`;
  }
}

function table(caption: string, head: string[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  if (rows.length === 0) return h("p", {}, empty);
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...head.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows),
  );
}

function facts(a: AccountSummary): HTMLElement {
  const pairs: Array<[string, string]> = [
    ["Email", a.email],
    ["Phone", a.phone],
    ["Role", a.role],
    ["Status", STATUS[a.status] ?? a.status],
    ["Email confirmed", yesNo(a.email_verified)],
    ["Phone confirmed", yesNo(a.phone_verified)],
    ["Identity", identityLabel(a.identity_status)],
    ["Created", formatDate(a.created_at)],
    ["Account id", a.id],
  ];
  return h("dl", { class: "facts" }, ...pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** Who acted: the account itself, you, or another staff member (by id). */
function actorLabel(actor: string | null, account: string, me: string | undefined): string {
  if (!actor) return "";
  if (actor === account) return "the account";
  if (actor === me) return "you";
  return `staff ${actor.slice(0, 8)}…`;
}

function dossierView(d: Dossier, actions: HTMLElement, me: string | undefined): HTMLElement {
  const sessions = d.sessions.map((s) =>
    h("tr", {}, h("td", {}, formatDate(s.created_at)), h("td", {}, s.last_used_at ? formatDate(s.last_used_at) : "never"),
      h("td", {}, s.ip), h("td", {}, s.user_agent)),
  );
  const deliveries = d.deliveries.map((x) =>
    h(
      "tr",
      { "data-delivery-status": x.status },
      h("td", {}, formatDate(x.created_at)),
      h("td", {}, x.channel === "sms" ? "SMS" : "Email"),
      h("td", {}, x.template.replaceAll("_", " ")),
      h("td", {}, x.destination),
      h("td", {}, x.status),
      h("td", {}, String(x.attempts)),
      h("td", {}, x.error_code ?? ""),
    ),
  );
  const events = d.events.map((e) =>
    h(
      "tr",
      {},
      h("td", {}, formatDate(e.occurred_at)),
      h("td", {}, e.event.replaceAll("_", " ")),
      h("td", {}, e.outcome),
      h("td", {}, actorLabel(e.actor_id, d.account.id, me)),
      h("td", {}, Object.entries(e.details).map(([k, v]) => `${k}: ${v}`).join("; ")),
    ),
  );
  return h(
    "article",
    { class: "dossier", "data-account-id": d.account.id, "aria-labelledby": "dossier-heading" },
    h("h2", { id: "dossier-heading", tabindex: -1 }, `Account ${d.account.email}`),
    facts(d.account),
    actions,
    h("h3", {}, "Live sessions"),
    table("Live sessions", ["Started", "Last used", "IP", "Device"], sessions, "No live sessions."),
    h("h3", {}, "Recent messages"),
    table("Recent messages", ["Created", "Channel", "Message", "To", "Status", "Attempts", "Provider error"], deliveries, "No messages."),
    h("h3", {}, "Audit trail"),
    table("Audit trail", ["When", "Event", "Outcome", "By", "Details"], events, "No events."),
  );
}

export function supportPage(ctx: Context): PageView {
  const who = field({
    label: "Email address or phone number",
    name: "who",
    autocomplete: "off",
    hint: "The whole address, or the number in international format (+447700900123).",
  });
  const findErrors = errorBox();
  const findButton = h("button", { type: "submit" }, "Look up");
  const findForm = h("form", { class: "lookup", role: "search" }, who.wrap, findErrors, findButton);
  const results = h("div", { class: "lookup-results" });
  const area = h("div", { class: "dossier-area" });

  async function open(id: string, message = ""): Promise<void> {
    const errors = errorBox();
    try {
      const dossier = await ctx.api.supportAccount(id);
      replaceChildren(area, dossierView(dossier, actionForm(dossier.account, message), ctx.me?.id));
      // Keep the lookup row in step with what the actions changed (e.g. locked).
      results.querySelector(`li[data-account-id="${CSS.escape(id)}"]`)?.replaceWith(resultItem(dossier.account));
    } catch (err) {
      replaceChildren(area, errors);
      showError(errors, err);
    }
  }

  function actionForm(account: AccountSummary, message: string): HTMLFormElement {
    const reasonId = uid("reason");
    const reason = h("textarea", {
      id: reasonId,
      name: "reason",
      rows: 2,
      maxlength: MAX_REASON,
      "aria-describedby": `${reasonId}-hint`,
    });
    const errors = errorBox();
    const status = statusBox();
    status.textContent = message;
    const buttons = ACTIONS.filter(([, , shown]) => shown(account)).map(([action, label]) =>
      h("button", { type: "submit", value: action, class: action === "lock" ? "danger" : "secondary" }, label),
    );
    const form = h(
      "form",
      { class: "support-actions" },
      h(
        "div",
        { class: "field" },
        h("label", { for: reasonId }, "Reason"),
        h("p", { id: `${reasonId}-hint`, class: "hint" }, "Why you are doing this, e.g. the ticket number. It goes in the audit trail with your name."),
        reason,
      ),
      errors,
      status,
      h("div", { class: "actions" }, ...buttons),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      clearError(errors, form);
      const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
      const action = (submitter?.value ?? "") as SupportActionName;
      const why = reason.value.trim();
      if (!why) {
        showMessage(errors, "Write a reason first: every support action is recorded with one.");
        reason.focus();
        return;
      }
      if (!submitter) return;
      void busy(submitter, async () => {
        try {
          const result = await ctx.api.supportAction(account.id, action, why);
          await open(account.id, done(action, result));
          area.querySelector<HTMLElement>(".support-actions [role=status]")?.focus();
        } catch (err) {
          showError(errors, err, form, {
            forbidden: "You cannot do that to this account (your own, or staff when you are not an admin).",
            conflict: "Nothing to resend: no message is waiting and both contacts are confirmed.",
          });
        }
      });
    });
    return form;
  }

  function resultList(found: AccountSummary[]): HTMLElement {
    if (found.length === 0) return h("p", { role: "status" }, "No account has that email address or phone number.");
    return h("ul", { class: "lookup-list" }, ...found.map(resultItem));
  }

  function resultItem(a: AccountSummary): HTMLLIElement {
    const openButton = button("Open", { "aria-label": `Open account ${a.email}` });
    openButton.addEventListener("click", () => void busy(openButton, () => open(a.id)));
    return h("li", { "data-account-id": a.id }, `${a.email} · ${a.phone} · ${a.role} · ${STATUS[a.status] ?? a.status} `, openButton);
  }

  findForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(findErrors, findForm);
    const value = who.input.value.trim();
    if (!value) return showMessage(findErrors, "Enter an email address or a phone number.");
    void busy(findButton, async () => {
      try {
        const found = await ctx.api.findAccounts(value.startsWith("+") ? { phone: value } : { email: value });
        replaceChildren(results, resultList(found));
        replaceChildren(area);
        const only = found[0];
        if (found.length === 1 && only) await open(only.id);
      } catch (err) {
        showError(findErrors, err, findForm, {
          "invalid-input": "Enter a whole email address, or a phone number starting with + and the country code.",
        });
      }
    });
  });

  const root = h(
    "section",
    { class: "page support", "aria-labelledby": "page-title" },
    heading("Support"),
    h("p", {}, "Find an account by its email address or phone number. Contacts are shown masked; every view and action is audited."),
    findForm,
    results,
    area,
  );
  return { title: "Support", root };
}
