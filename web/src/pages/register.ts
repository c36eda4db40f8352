// Create an account; the API emails a code to confirm the address.

import type { Context, PageView } from "../context";
import { field, h, heading, uid } from "../dom";
import { busy, clearError, errorBox, showError, showMessage } from "../forms";

function roleChoice(): HTMLFieldSetElement {
  const radio = (value: string, label: string, checked: boolean): HTMLDivElement => {
    const id = uid(`role-${value}`);
    return h(
      "div",
      { class: "choice" },
      h("input", { type: "radio", id, name: "role", value, checked, required: true }),
      h("label", { for: id }, label),
    );
  };
  return h(
    "fieldset",
    { class: "field" },
    h("legend", {}, "I am joining as"),
    radio("worker", "A domestic worker", true),
    radio("employer", "An employer", false),
  );
}

export function registerPage(ctx: Context): PageView {
  const email = field({ label: "Email address", name: "email", type: "email", autocomplete: "email", value: ctx.pending.email });
  const phone = field({
    label: "Mobile phone number",
    name: "phone",
    type: "tel",
    autocomplete: "tel",
    hint: "International format with the country code, for example +447700900123.",
    value: ctx.pending.phone,
    extra: { pattern: "\\+[1-9][0-9]{6,14}" },
  });
  const password = field({
    label: "Password",
    name: "password",
    type: "password",
    autocomplete: "new-password",
    hint: "8 to 128 characters. A short sentence is easy to remember and hard to guess.",
    extra: { minlength: 8, maxlength: 128 },
  });
  const widget = ctx.turnstile("register");
  const errors = errorBox();
  const submit = h("button", { type: "submit" }, "Create account");
  const form = h("form", {}, email.wrap, phone.wrap, password.wrap, roleChoice(), widget.element, errors, submit);

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors, form);
    const token = widget.take();
    if (!token) {
      showMessage(errors, "Please wait for the anti-bot check to finish, then try again.");
      return;
    }
    const role = new FormData(form).get("role") === "employer" ? "employer" : "worker";
    void busy(submit, async () => {
      try {
        await ctx.api.register({
          email: email.input.value.trim(),
          phone: phone.input.value.trim(),
          password: password.input.value,
          role,
          turnstile_token: token,
        });
      } catch (err) {
        showError(errors, err, form);
        return;
      }
      ctx.pending.email = email.input.value.trim();
      ctx.pending.phone = phone.input.value.trim();
      ctx.pending.emailCodeSentAt = Date.now();
      ctx.pending.flash = `If the address can be used, a 6-digit code is on its way to ${ctx.pending.email}.`;
      ctx.navigate("/verify-email");
    });
  });

  const root = h(
    "section",
    { class: "page", "aria-labelledby": "page-title" },
    heading("Create your account"),
    h("p", {}, "Step 1 of 3. Next you confirm your email address and your phone number."),
    form,
    h("p", {}, "Already registered? ", h("a", { href: "#/login" }, "Sign in"), "."),
  );
  return { title: "Create your account", root, mounted: () => void widget.mount(), cleanup: () => widget.remove() };
}
