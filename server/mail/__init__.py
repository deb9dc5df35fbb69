"""Outgoing mail of the communes: settings (server side only), a persistent outbox written in
the transaction that records the message, and a sender thread that delivers it afterwards with
retries, keeping the proof (time, Message-ID, the receiving server's answer) on the message."""
