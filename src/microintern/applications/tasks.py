"""Background tasks of the applications app: thin, take ids, call the domain layer.

Emails are not sent from here: they go through the outbox (`mail.tasks.deliver_message`).
"""
