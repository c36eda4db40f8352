"""`domestyx accounts show|lock|unlock|sign-out|resend`: the support tools from a shell.

The staff member acting is named with --staff (their email) so the audit trail says who; the
same service as the HTTP routes does the work, so the same rules and audit rows apply.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import msgspec

from domestyx.domain.model.audit import ClientContext
from domestyx.domain.model.errors import DomainError, NotFound
from domestyx.domain.model.sessions import Principal
from domestyx.entrypoints.http.support_schemas import dossier_out
from domestyx.entrypoints.services import Services

CLI_CONTEXT = ClientContext(ip="", user_agent="domestyx-cli")


def run(args: argparse.Namespace, services: Services) -> int:
    """One support action; domain refusals are one line and exit 1."""
    try:
        staff = _staff(services, args.staff)
        account_id = _resolve(services, staff, args.account)
        result = _act(services, staff, account_id, args.action, args.reason)
    except DomainError as exc:
        print(f"domestyx accounts {args.action}: {exc.detail}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2, default=str) if args.json else _summary(result))
    return 0


def _staff(services: Services, email: str) -> Principal:
    with services.uow() as uow:
        account = uow.accounts.by_email(services.codes.contacts.email(email))
    if account is None or not account.role.is_staff or not account.can_sign_in:
        raise NotFound(f"no staff account {email}")
    return Principal(account_id=account.id, role=account.role, session_id="cli")


def _resolve(services: Services, staff: Principal, ref: str) -> str:
    if "@" in ref or ref.startswith("+"):
        key = {"email": ref} if "@" in ref else {"phone": ref}
        found = services.support.find(staff, **key)
        if len(found) != 1:
            raise NotFound(f"{len(found)} accounts match {ref}; give the account id")
        return found[0].id
    return ref


def _act(services: Services, staff: Principal, account_id: str, action: str, reason: str) -> Any:
    support = services.support
    if action == "show":
        return msgspec.to_builtins(dossier_out(support.show(staff, account_id, CLI_CONTEXT)))
    if action == "lock":
        revoked = support.lock(staff, account_id, reason, CLI_CONTEXT)
        return {"account_id": account_id, "status": "suspended", "sessions_revoked": revoked}
    if action == "unlock":
        account = support.unlock(staff, account_id, reason, CLI_CONTEXT)
        return {"account_id": account_id, "status": account.status.value}
    if action == "sign-out":
        revoked = support.sign_out_everywhere(staff, account_id, reason, CLI_CONTEXT)
        return {"account_id": account_id, "status": "signed_out", "sessions_revoked": revoked}
    done = support.resend(staff, account_id, reason, CLI_CONTEXT)
    return {"account_id": account_id, "action": done.action, "channel": done.channel}


def _summary(result: dict[str, Any]) -> str:
    if "account" not in result:
        return _action_line(result)
    a = result["account"]
    lines = [
        f"account   {a['id']}  {a['role']}  {a['status']}  identity={a['identity_status']}",
        f"email     {a['email']}  {'proven' if a['email_verified'] else 'not proven'}",
        f"phone     {a['phone']}  {'proven' if a['phone_verified'] else 'not proven'}",
        f"sessions  {len(result['sessions'])} live",
        "deliveries (newest first):",
    ]
    for d in result["deliveries"]:
        error = f"  error={d['error_code']}" if d["error_code"] else ""
        lines.append(
            f"  {d['created_at']}  {d['channel']:<5} {d['status']:<11} {d['destination']}{error}"
        )
    if not result["deliveries"]:
        lines.append("  (none)")
    lines.append("audit (newest first):")
    lines += [f"  {e['occurred_at']}  {e['event']}  {e['outcome']}" for e in result["events"]]
    return "\n".join(lines)


def _action_line(result: dict[str, Any]) -> str:
    """One sentence per action, from the same fields --json prints."""
    who = result["account_id"]
    if "channel" in result:
        return f"resent to {who}: {result['action']} by {result['channel']}"
    revoked = result.get("sessions_revoked")
    sessions = (
        f", {revoked} session{'s' if revoked != 1 else ''} revoked" if revoked is not None else ""
    )
    if result["status"] == "signed_out":
        return f"signed {who} out everywhere{sessions}"
    verb = "locked" if result["status"] == "suspended" else "unlocked"
    return f"{verb} {who}: now {result['status']}{sessions}"
