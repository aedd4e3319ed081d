"""Certificates: issue on course completion, render (WeasyPrint), store, verify online and
offline (Ed25519), Open Badges 3.0 JSON, revoke, regenerate, bulk ZIP and print."""
