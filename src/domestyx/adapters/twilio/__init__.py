"""Twilio SMS: the sender (official twilio SDK) and the signed status-callback webhook."""
