"""Where each parcel is now: 快递100 tracking kept in the ledger and fed into the work."""
