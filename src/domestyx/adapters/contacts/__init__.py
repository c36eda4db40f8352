"""Contact canonicalisation over phonenumbers and email-validator."""
