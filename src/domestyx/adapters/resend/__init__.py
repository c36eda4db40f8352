"""Resend email: the sender (official resend SDK) and the Svix-signed delivery webhook."""
