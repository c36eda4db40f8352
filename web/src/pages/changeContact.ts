// Change email or phone: the current password, a code to the NEW contact, then the change.

import type { ContactKind } from "../api";
import type { Context, PageView } from "../context";
import { field, h, heading } from "../dom";
import { busy, clearError, errorBox, showError, statusBox } from "../forms";

interface Words {
  title: string;
  label: string;
  name: string;
  type: string;
  autocomplete: string;
  hint: string;
}

const WORDS: Record<ContactKind, Words> = {
  email: {
    title: "Change your email address",
    label: "New email address",
    name: "new_email",
    type: "email",
    autocomplete: "email",
    hint: "We email a code to the new address; your current one is told of the change.",
  },
  phone: {
    title: "Change your phone number",
    label: "New mobile phone number",
    name: "new_phone",
    type: "tel",
    autocomplete: "tel",
    hint: "With the country code. We text a code to the new number.",
  },
};

function changePage(kind: ContactKind, ctx: Context): PageView {
  const words = WORDS[kind];
  const current = ctx.me ? (kind === "email" ? ctx.me.email : ctx.me.phone) : "";
  const value = field({ label: words.label, name: words.name, type: words.type, autocomplete: words.autocomplete, hint: words.hint });
  const password = field({ label: "Current password", name: "password", type: "password", autocomplete: "current-password" });
  const askErrors = errorBox();
  const asked = statusBox();
  const ask = h("button", { type: "submit", class: "secondary" }, "Send a code to it");
  const askForm = h("form", { class: "send-code" }, value.wrap, password.wrap, askErrors, asked, ask);
  askForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(askErrors, askForm);
    void busy(ask, async () => {
      try {
        await ctx.api.changeContact(kind, value.input.value.trim(), password.input.value);
      } catch (err) {
        showError(askErrors, err, askForm);
        return;
      }
      password.input.value = "";
      asked.textContent = `If ${value.input.value.trim()} can be used, a code is on its way to it. Nothing has changed yet.`;
    });
  });

  const code = field({
    label: "6-digit code",
    name: "code",
    autocomplete: "one-time-code",
    hint: "The code sent to the new contact; it works once and expires after 10 minutes.",
    extra: { inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 },
  });
  const verifyErrors = errorBox();
  const done = statusBox();
  const confirm = h("button", { type: "submit" }, "Confirm the change");
  const verifyForm = h("form", { class: "verify-code" }, code.wrap, verifyErrors, done, confirm);
  verifyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(verifyErrors, verifyForm);
    void busy(confirm, async () => {
      try {
        ctx.me = await ctx.api.verifyContact(kind, code.input.value.trim());
      } catch (err) {
        showError(verifyErrors, err, verifyForm);
        return;
      }
      const now = kind === "email" ? ctx.me.email : ctx.me.phone;
      shown.textContent = now;
      done.textContent = `Changed. Your ${kind === "email" ? "email address" : "phone number"} is now ${now}; your other devices were signed out.`;
    });
  });

  const shown = h("strong", { "data-current-contact": kind }, current);
  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading(words.title),
    h("p", {}, "Currently: ", shown),
    h("h2", {}, "1. Ask for a code"),
    askForm,
    h("h2", {}, "2. Enter the code"),
    verifyForm,
  );
  return { title: words.title, root };
}

export const changeEmailPage = (ctx: Context): PageView => changePage("email", ctx);
export const changePhonePage = (ctx: Context): PageView => changePage("phone", ctx);
