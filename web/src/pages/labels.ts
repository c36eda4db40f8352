// Words for the API's codes, shared by the documents and review pages.

export const DOCUMENT_KINDS: ReadonlyArray<[string, string]> = [
  ["id_card", "National ID card"],
  ["passport", "Passport"],
  ["police_clearance", "Police clearance certificate"],
  ["proof_of_address", "Proof of address"],
  ["work_permit", "Work permit"],
  ["other", "Other document"],
];

export const REJECTION_REASONS: ReadonlyArray<[string, string]> = [
  ["document_unreadable", "A document is unreadable"],
  ["document_expired", "A document has expired"],
  ["document_mismatch", "Details do not match the account"],
  ["missing_document", "A required document is missing"],
  ["suspected_fraud", "Suspected fraud"],
  ["other", "Other (explain in the note)"],
];

const IDENTITY: Record<string, string> = {
  not_started: "not submitted yet",
  submitted: "submitted, waiting for a reviewer",
  in_review: "in review",
  approved: "verified",
  rejected: "rejected",
  resubmission_requested: "new documents needed",
};

export function kindLabel(kind: string): string {
  return DOCUMENT_KINDS.find(([value]) => value === kind)?.[1] ?? kind;
}

export function reasonLabel(reason: string | null): string {
  if (!reason) return "";
  return REJECTION_REASONS.find(([value]) => value === reason)?.[1] ?? reason.replaceAll("_", " ");
}

export function identityLabel(status: string): string {
  return IDENTITY[status] ?? status.replaceAll("_", " ");
}

export function formatBytes(size: number): string {
  const fixed = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));
  if (size < 1024) return `${size} bytes`;
  if (size < 1024 * 1024) return `${fixed(size / 1024)} KiB`;
  return `${fixed(size / 1024 / 1024)} MiB`;
}

export function formatDate(iso: string): string {
  return new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

const FILE_TYPES: Record<string, string> = {
  "application/pdf": "PDF",
  "image/png": "PNG image",
  "image/jpeg": "JPEG image",
};

export function fileTypeLabel(contentType: string): string {
  return FILE_TYPES[contentType] ?? contentType;
}
