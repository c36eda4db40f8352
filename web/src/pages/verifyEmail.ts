// Step 2: the code from the email sent at registration (or a new one).

import type { Context, PageView } from "../context";
import { field, h, heading } from "../dom";
import { statusBox } from "../forms";
import { codeFlow, devOutboxNote } from "./codeFlow";

export function verifyEmailPage(ctx: Context): PageView {
  const email = field({ label: "Email address", name: "destination", type: "email", autocomplete: "email", value: ctx.pending.email });
  const flow = codeFlow(ctx, {
    channel: "email",
    purpose: "verify_email",
    destination: email,
    sendLabel: "Email me a new code",
    sentAt: () => ctx.pending.emailCodeSentAt,
    markSent: () => {
      ctx.pending.emailCodeSentAt = Date.now();
    },
    onVerified: () => {
      ctx.pending.email = email.input.value.trim();
      ctx.pending.flash = "Email address confirmed. Now confirm your phone number.";
      ctx.navigate("/verify-phone");
    },
  });
  const flash = statusBox();
  flash.textContent = ctx.pending.flash;
  ctx.pending.flash = "";
  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading("Confirm your email address"),
    h("p", {}, "Step 2 of 3. Enter the 6-digit code we emailed you."),
    devOutboxNote(ctx),
    flash,
    email.wrap,
    flow.verifyForm,
    h("h2", {}, "No code?"),
    h(
      "p",
      {},
      ctx.config.dev_outbox_url
        ? "Look in the dev outbox, or ask for a new code. A new code replaces the old one."
        : "Check your spam folder, or ask for a new code. A new code replaces the old one.",
    ),
    flow.sendForm,
  );
  return { title: "Confirm your email", root, mounted: flow.mounted, cleanup: flow.cleanup };
}
