"""The team of a mini app: members and their roles, invitations, the app's audit log."""
