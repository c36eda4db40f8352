// Forgot password: a reset code to a proven email or phone, then a new password with it.

import type { Channel } from "../api";
import type { Context, PageView } from "../context";
import { field, h, heading } from "../dom";
import { busy, clearError, Cooldown, errorBox, showError, showMessage, statusBox } from "../forms";
import { ApiError } from "../problems";
import { devOutboxNote } from "./codeFlow";

function channelOf(destination: string): Channel {
  return destination.startsWith("+") ? "sms" : "email";
}

export function forgotPasswordPage(ctx: Context): PageView {
  const who = field({
    label: "Email address or phone number",
    name: "destination",
    autocomplete: "username",
    hint: "A phone number starts with + and the country code. The code goes there.",
    value: ctx.pending.email,
  });
  const widget = ctx.turnstile("password_forgot");
  const sendErrors = errorBox();
  const sent = statusBox();
  const sendLabel = "Send me a reset code";
  const send = h("button", { type: "submit", class: "secondary" }, sendLabel);
  const cooldown = new Cooldown(send, sendLabel, sent);
  const sendForm = h("form", { class: "send-code" }, who.wrap, widget.element, sendErrors, sent, send);

  sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(sendErrors, sendForm);
    const destination = who.input.value.trim();
    const token = widget.take();
    if (!token) {
      showMessage(sendErrors, "Please wait for the anti-bot check to finish, then try again.");
      return;
    }
    void busy(send, async () => {
      try {
        await ctx.api.forgotPassword(channelOf(destination), destination, token);
      } catch (err) {
        showError(sendErrors, err, sendForm);
        if (err instanceof ApiError && err.status === 429 && err.retryAfter) cooldown.start(err.retryAfter);
        return;
      }
      cooldown.start(60);
      sent.textContent = `If ${destination} belongs to an account and is confirmed, a reset code is on its way.`;
    });
  });

  const code = field({
    label: "6-digit code",
    name: "code",
    autocomplete: "one-time-code",
    hint: "Codes work once and expire after 10 minutes.",
    extra: { inputmode: "numeric", pattern: "[0-9]{6}", maxlength: 6 },
  });
  const password = field({
    label: "New password",
    name: "new_password",
    type: "password",
    autocomplete: "new-password",
    hint: "At least 8 characters. Every device is signed out.",
  });
  const resetErrors = errorBox();
  const submit = h("button", { type: "submit" }, "Reset password");
  const resetForm = h("form", { class: "verify-code" }, code.wrap, password.wrap, resetErrors, submit);
  resetForm.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(resetErrors, resetForm);
    const destination = who.input.value.trim();
    if (!who.input.reportValidity()) return;
    void busy(submit, async () => {
      try {
        await ctx.api.resetPassword(channelOf(destination), destination, code.input.value.trim(), password.input.value);
      } catch (err) {
        showError(resetErrors, err, resetForm);
        return;
      }
      ctx.session.clear();
      ctx.pending.email = channelOf(destination) === "email" ? destination : "";
      ctx.pending.flash = "Your password was reset and every device signed out. Sign in with the new one.";
      ctx.navigate("/login");
    });
  });

  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading("Reset your password"),
    h("p", {}, "We send a code to your confirmed email address or phone number."),
    devOutboxNote(ctx),
    h("h2", {}, "1. Get a code"),
    sendForm,
    h("h2", {}, "2. Choose a new password"),
    resetForm,
  );
  return {
    title: "Reset your password",
    root,
    mounted: () => void widget.mount(),
    cleanup: () => {
      cooldown.stop();
      widget.remove();
    },
  };
}
