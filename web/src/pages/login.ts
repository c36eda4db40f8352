// Sign in with email or phone and password.

import type { Context, PageView } from "../context";
import { field, h, heading } from "../dom";
import { busy, clearError, errorBox, showError, showMessage, statusBox } from "../forms";
import { identify } from "../sentry";

export function homeRoute(role: string): string {
  return role === "reviewer" || role === "admin" ? "/review" : "/documents";
}

export function loginPage(ctx: Context): PageView {
  const who = field({
    label: "Email address or phone number",
    name: "email",
    autocomplete: "username",
    hint: "A phone number starts with + and the country code.",
    value: ctx.pending.email,
  });
  const password = field({ label: "Password", name: "password", type: "password", autocomplete: "current-password" });
  const totp = field({
    label: "Authenticator code",
    name: "totp_code",
    autocomplete: "one-time-code",
    hint: "Staff, and anyone who set up an authenticator: the 6-digit code from the app, or a recovery code.",
    required: false,
    extra: { inputmode: "text", maxlength: 32, spellcheck: "false" },
  });
  const widget = ctx.turnstile("login");
  const errors = errorBox();
  const submit = h("button", { type: "submit" }, "Sign in");
  const form = h("form", {}, who.wrap, password.wrap, totp.wrap, widget.element, errors, submit);
  const flash = statusBox();
  flash.textContent = ctx.pending.flash;
  ctx.pending.flash = "";

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors, form);
    const token = widget.take();
    if (!token) {
      showMessage(errors, "Please wait for the anti-bot check to finish, then try again.");
      return;
    }
    void busy(submit, async () => {
      try {
        await ctx.api.login(who.input.value.trim(), password.input.value, token, totp.input.value);
        ctx.me = await ctx.api.me();
      } catch (err) {
        showError(errors, err, form);
        return;
      }
      identify(ctx.me.id);
      ctx.navigate(homeRoute(ctx.me.role));
    });
  });

  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading("Sign in"),
    flash,
    form,
    h(
      "p",
      {},
      h("a", { href: "#/forgot-password" }, "Forgot your password?"),
      " New here? ",
      h("a", { href: "#/register" }, "Create an account"),
      ". Registered but not confirmed yet? ",
      h("a", { href: "#/verify-email" }, "Confirm your email"),
      " or ",
      h("a", { href: "#/verify-phone" }, "your phone"),
      ".",
    ),
  );
  return { title: "Sign in", root, mounted: () => void widget.mount(), cleanup: () => widget.remove() };
}
