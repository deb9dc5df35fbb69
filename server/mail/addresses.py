"""Strict e-mail address checks: the rule lives in the shared protocol (sync/protocol) so the
wire models, the public portal and the outgoing mail refuse the same addresses."""

from sync.protocol.addresses import AddressError, check_address

__all__ = ["AddressError", "check_address"]
