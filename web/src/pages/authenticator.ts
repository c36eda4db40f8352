// TOTP enrolment: the otpauth URI as a QR code (drawn here, no third party), the secret for
// typing in by hand, the recovery codes shown once, and the first code to turn it on.

import { encode } from "uqr";
import type { TotpEnrolment } from "../api";
import type { Context, PageView } from "../context";
import { button, field, h, heading } from "../dom";
import { busy, clearError, errorBox, showError, statusBox } from "../forms";

const SVG = "http://www.w3.org/2000/svg";
const QUIET = 4; // modules of white border that scanners need

/** The QR code of `text` as an SVG of black squares, built node by node (no HTML strings). */
export function qrCode(text: string, label: string): SVGSVGElement {
  const { data, size } = encode(text, { ecc: "M", border: 0 });
  const side = size + QUIET * 2;
  const svg = document.createElementNS(SVG, "svg");
  for (const [name, value] of Object.entries({
    viewBox: `0 0 ${side} ${side}`,
    width: "240",
    height: "240",
    role: "img",
    "aria-label": label,
    "shape-rendering": "crispEdges",
    class: "qr-code",
  })) {
    svg.setAttribute(name, value);
  }
  const rect = (x: number, y: number, w: number, fill: string): SVGRectElement => {
    const r = document.createElementNS(SVG, "rect");
    for (const [name, value] of Object.entries({ x, y, width: w, height: w === side ? side : 1, fill })) {
      r.setAttribute(name, String(value));
    }
    return r;
  };
  svg.appendChild(rect(0, 0, side, "#fff"));
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) svg.appendChild(rect(x + QUIET, y + QUIET, 1, "#000"));
    }),
  );
  return svg;
}

function enrolmentView(ctx: Context, enrolment: TotpEnrolment): HTMLElement {
  const code = field({
    label: "Code from your app",
    name: "totp_confirm",
    autocomplete: "one-time-code",
    hint: "After scanning, the app shows 6 digits that change every 30 seconds.",
    extra: { inputmode: "numeric", maxlength: 8 },
  });
  const errors = errorBox();
  const submit = h("button", { type: "submit" }, "Turn on");
  const form = h("form", {}, code.wrap, errors, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearError(errors, form);
    void busy(submit, async () => {
      try {
        await ctx.api.confirmTotp(code.input.value.trim());
      } catch (err) {
        showError(errors, err, form);
        return;
      }
      // The session that enrolled was opened with a password alone: sign in again with a code.
      await ctx.session.logout();
      ctx.me = null;
      ctx.pending.flash = "Your authenticator is on. Sign in again with a code from the app.";
      ctx.navigate("/login");
    });
  });
  return h(
    "div",
    { class: "enrolment" },
    h("p", {}, "Scan this code with an authenticator app (for example Google Authenticator, Aegis or 1Password)."),
    qrCode(enrolment.otpauth_uri, "QR code for your authenticator app"),
    h("p", {}, "Cannot scan? Type this key into the app instead: ", h("code", { "data-totp-secret": "" }, enrolment.secret)),
    h("h2", {}, "Recovery codes"),
    h("p", {}, "Each one signs you in once if you lose your phone. Save them somewhere safe now: they are not shown again."),
    h("ul", { class: "recovery-codes" }, ...enrolment.recovery_codes.map((c) => h("li", {}, h("code", { "data-recovery-code": "" }, c)))),
    form,
  );
}

export async function authenticatorPage(ctx: Context): Promise<PageView> {
  const me = (ctx.me = await ctx.api.me());
  const staff = me.role === "reviewer" || me.role === "admin";
  const box = h("div", {});
  const errors = errorBox();
  const status = statusBox();
  if (me.totp_enabled) {
    status.textContent = staff && ctx.session.aal < 2
      ? "Your authenticator is on. Sign out and sign in again with a code to review documents."
      : "Your authenticator is on: signing in asks for a code from it.";
  } else {
    const intro = staff
      ? "Reviewing identity documents needs a second factor. Set up an authenticator app to continue."
      : "Optional: an authenticator app makes signing in ask for a code as well as your password.";
    const start = button("Set up an authenticator");
    start.addEventListener("click", () =>
      void busy(start, async () => {
        try {
          box.replaceChildren(enrolmentView(ctx, await ctx.api.enrolTotp()));
        } catch (err) {
          showError(errors, err);
        }
      }),
    );
    box.append(h("p", {}, intro), start);
  }
  const root = h("section", { class: "page", "aria-labelledby": "page-title" }, heading("Authenticator"), status, errors, box);
  return { title: "Authenticator", root };
}
