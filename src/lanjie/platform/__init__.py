"""The 抖店 Open Platform connector: connected shops, sync into the ledger, and what flows back."""
