from django.dispatch import Signal

# Sent with `event` once per event, inside the transaction that marks it dispatched: a receiver
# records what it owes the event (webhooks: a delivery per subscription) in that transaction, and
# starts work only on commit (transaction.on_commit). A receiver that raises rolls the dispatch
# back; the event is dispatched again by the next sweep.
event_published = Signal()
