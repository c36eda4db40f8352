// Hash routes (#/login, #/documents…): work from any static host without server rewrites.

import type { Context, Page, PageView } from "./context";
import { button, h, heading, replaceChildren } from "./dom";
import { errorBox, showError } from "./forms";
import { changeEmailPage, changePhonePage } from "./pages/changeContact";
import { authenticatorPage } from "./pages/authenticator";
import { documentsPage } from "./pages/documents";
import { forgotPasswordPage } from "./pages/forgotPassword";
import { homeRoute, loginPage } from "./pages/login";
import { registerPage } from "./pages/register";
import { reviewPage } from "./pages/review";
import { supportPage } from "./pages/support";
import { verifyEmailPage } from "./pages/verifyEmail";
import { verifyPhonePage } from "./pages/verifyPhone";
import { identify } from "./sentry";

type Access = "public" | "member" | "staff" | "account";

const ROUTES: Record<string, { page: Page; access: Access; nav?: string }> = {
  "/register": { page: registerPage, access: "public", nav: "Create account" },
  "/verify-email": { page: verifyEmailPage, access: "public", nav: "Confirm email" },
  "/verify-phone": { page: verifyPhonePage, access: "public", nav: "Confirm phone" },
  "/login": { page: loginPage, access: "public", nav: "Sign in" },
  "/forgot-password": { page: forgotPasswordPage, access: "public", nav: "Forgot password" },
  "/documents": { page: documentsPage, access: "member", nav: "My documents" },
  "/change-email": { page: changeEmailPage, access: "member", nav: "Change email" },
  "/change-phone": { page: changePhonePage, access: "member", nav: "Change phone" },
  "/review": { page: reviewPage, access: "staff", nav: "Review queue" },
  "/support": { page: supportPage, access: "staff", nav: "Support" },
  "/authenticator": { page: authenticatorPage, access: "account", nav: "Authenticator" },
};

const isStaff = (role: string | undefined): boolean => role === "reviewer" || role === "admin";

export class Router {
  private current: PageView | null = null;
  private sequence = 0;

  constructor(
    private readonly ctx: Context,
    private readonly main: HTMLElement,
    private readonly nav: HTMLElement,
  ) {}

  start(): void {
    window.addEventListener("hashchange", () => void this.render());
    this.ctx.session.onChange(() => this.renderNav(this.path()));
    void this.render();
  }

  navigate(route: string): void {
    if (this.path() === route) void this.render();
    else window.location.hash = `#${route}`;
  }

  private path(): string {
    return window.location.hash.replace(/^#/, "") || "/";
  }

  private async render(): Promise<void> {
    const path = this.path();
    if (!path.startsWith("/")) return; // an in-page anchor such as the skip link
    const turn = ++this.sequence;
    const target = await this.resolve(path);
    if (turn !== this.sequence) return;
    if (target !== path) {
      window.location.replace(`#${target}`);
      return;
    }
    const route = ROUTES[path];
    if (!route) return;
    this.current?.cleanup?.();
    this.current = null;
    let view: PageView;
    try {
      view = await route.page(this.ctx);
    } catch (err) {
      view = this.failure(err);
    }
    if (turn !== this.sequence) {
      view.cleanup?.();
      return;
    }
    this.current = view;
    replaceChildren(this.main, view.root);
    document.title = `${view.title} · DomestyX`;
    this.renderNav(path);
    view.mounted?.();
    this.main.querySelector<HTMLElement>("h1")?.focus();
  }

  /** Where `path` may be shown, after signing in silently from a stored refresh token. */
  private async resolve(path: string): Promise<string> {
    const route = ROUTES[path];
    const { session } = this.ctx;
    if (!session.signedIn && session.hasStoredRefresh()) await session.refresh();
    if (session.signedIn && !this.ctx.me) {
      try {
        this.ctx.me = await this.ctx.api.me();
        identify(this.ctx.me.id);
      } catch {
        session.clear();
      }
    }
    const role = this.ctx.me?.role;
    if (!route) return session.signedIn && role ? homeRoute(role) : "/login";
    if (route.access === "public") return path;
    if (!session.signedIn) {
      this.ctx.pending.flash = "Please sign in to continue.";
      return "/login";
    }
    if (route.access === "staff" && !isStaff(role)) return "/documents";
    // Staff routes answer 403 to a session without TOTP: set one up, or sign in with a code.
    if (route.access === "staff" && session.aal < 2) return "/authenticator";
    if (route.access === "member" && isStaff(role)) return "/review";
    return path;
  }

  private failure(err: unknown): PageView {
    const box = errorBox();
    showError(box, err);
    const again = button("Try again");
    again.addEventListener("click", () => void this.render());
    return { title: "Something went wrong", root: h("section", { class: "page" }, heading("This page could not load"), box, again) };
  }

  private renderNav(path: string): void {
    const signedIn = this.ctx.session.signedIn;
    const role = this.ctx.me?.role;
    const visible = Object.entries(ROUTES).filter(([, r]) => {
      if (!signedIn) return r.access === "public";
      return r.access === "account" || r.access === (isStaff(role) ? "staff" : "member");
    });
    const links = visible.map(([route, r]) =>
      h("li", {}, h("a", { href: `#${route}`, "aria-current": route === path ? "page" : null }, r.nav ?? route)),
    );
    if (signedIn) {
      const out = button("Sign out", { class: "link" });
      out.addEventListener("click", () => void this.signOut());
      links.push(h("li", {}, out));
    }
    replaceChildren(this.nav, h("ul", {}, ...links));
  }

  private async signOut(): Promise<void> {
    await this.ctx.session.logout();
    this.ctx.me = null;
    Object.assign(this.ctx.pending, { email: "", phone: "", emailCodeSentAt: 0, smsCodeSentAt: 0 });
    this.ctx.pending.flash = "You are signed out.";
    identify(null);
    this.navigate("/login");
  }
}
