"""Outgoing webhooks: a mini app's endpoints, the events written for them, their delivery.

models.py (endpoints and deliveries, imported by reports.models), events.py (event_emit, called
by the services in the change's own transaction), delivery.py (the signed POST, retries, the
sweep), network.py (the SSRF rules), services.py / views.py (the console's endpoint pages).
"""
