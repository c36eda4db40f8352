// Step 3: a code by text message (sent only once the email address is confirmed).

import type { Context, PageView } from "../context";
import { field, h, heading } from "../dom";
import { statusBox } from "../forms";
import { codeFlow, devOutboxNote } from "./codeFlow";

export function verifyPhonePage(ctx: Context): PageView {
  const phone = field({
    label: "Mobile phone number",
    name: "destination",
    type: "tel",
    autocomplete: "tel",
    hint: "The number you registered, with the country code.",
    value: ctx.pending.phone,
    extra: { pattern: "\\+[1-9][0-9]{6,14}" },
  });
  const flow = codeFlow(ctx, {
    channel: "sms",
    purpose: "verify_phone",
    destination: phone,
    sendLabel: "Text me a code",
    sentAt: () => ctx.pending.smsCodeSentAt,
    markSent: () => {
      ctx.pending.smsCodeSentAt = Date.now();
    },
    onVerified: () => {
      ctx.pending.flash = "Phone number confirmed. Sign in to upload your documents.";
      ctx.navigate("/login");
    },
  });
  const flash = statusBox();
  flash.textContent = ctx.pending.flash;
  ctx.pending.flash = "";
  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading("Confirm your phone number"),
    h("p", {}, "Step 3 of 3. We text a 6-digit code to your phone."),
    devOutboxNote(ctx),
    flash,
    phone.wrap,
    h("h2", {}, "1. Get a code"),
    flow.sendForm,
    h("h2", {}, "2. Enter the code"),
    flow.verifyForm,
  );
  return { title: "Confirm your phone", root, mounted: flow.mounted, cleanup: flow.cleanup };
}
